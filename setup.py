from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent

setup(
    name="flask-copilot",
    version="0.1.0",
    description="An embeddable AI copilot for any website, served by Flask with plain "
    "blocking Python handlers.",
    long_description=(ROOT / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    license_files=["LICENSE"],
    packages=find_packages(include=["flask_copilot", "flask_copilot.*"]),
    package_data={"flask_copilot": ["py.typed", "static/copilot/*"]},
    python_requires=">=3.10",
    install_requires=[
        "flask>=3.1,<4",
        "flask-socketio>=5.7,<6",
        "python-socketio>=5.18,<6",
        "python-engineio>=4.15,<5",
        "simple-websocket>=1.1",
        "pyjwt>=2.10,<3",
        "marshmallow>=4,<5",
        # Persistence is on by default (a SQLite file in the instance folder).
        "sqlalchemy>=2,<3",
        # Arguments of page functions are checked against their declared JSON Schema.
        "jsonschema>=4.18",
        # What an upload is, from its bytes (magic numbers), not its name.
        "filetype>=1.2",
    ],
    extras_require={
        # gunicorn 26 removed its eventlet worker; eventlet itself is in bugfix-only mode.
        "eventlet": ["eventlet>=0.40.3", "gunicorn>=23,<26"],
        # gunicorn[gevent] brings 'packaging', which its gevent worker needs.
        "gevent": ["gevent>=24.10", "gunicorn[gevent]>=23"],
        "redis": ["redis>=5"],
        "postgres": ["psycopg[binary]>=3.1"],
        # flask_copilot.llm: the assistant, over the official SDK's sync client (pydantic,
        # which the SDK depends on, describes Python tools).
        "llm": ["openai>=1.40", "pydantic>=2.5"],
        # Files in an S3-compatible bucket (COPILOT_STORAGE = "s3://bucket/prefix").
        "s3": ["boto3>=1.34"],
        # flask_copilot.testing drives a real Socket.IO client.
        "testing": ["python-socketio[client]>=5.18"],
        "dev": [
            "pytest>=8",
            "pytest-timeout>=2.3",
            "python-socketio[client]>=5.18",
            "ruff>=0.15",
            "mypy>=1.15",
        ],
    },
    entry_points={"console_scripts": ["flask-copilot=flask_copilot.cli:main"]},
    classifiers=[
        "Framework :: Flask",
        "Programming Language :: Python :: 3",
    ],
)
