"""An endpoint protected by the copilot's own tokens (``Authorization: Bearer``).

export COPILOT_AUTH_SECRET=$(openssl rand -hex 32)
flask --app examples.custom_endpoints.authenticated copilot token alice
"""

import os

from flask import Flask

from examples.custom_endpoints.my_copilot import copilot
from flask_copilot import Message, User, authenticate_user, init_http_context

app = Flask(__name__)
app.config["COPILOT_AUTH_SECRET"] = os.environ.get("COPILOT_AUTH_SECRET", "change-me-" + "x" * 32)


@app.get("/hello")
@authenticate_user
def hello(current_user: User) -> str:
    print(current_user)
    init_http_context(user=current_user)
    Message(content="Hello World").send()
    return "Hello World"


copilot.init_app(app, url_prefix="/chainlit")
