"""Identity: access tokens (HS256 JWTs) and origin policy. Pure functions of their inputs."""
