"""Use copilot APIs in a plain view: in an HTTP context ``Message.send()`` pushes
nothing (and is persisted when persistence is on)."""

from flask import Flask

from examples.custom_endpoints.my_copilot import copilot
from flask_copilot import Message, init_http_context

app = Flask(__name__)


@app.get("/app")
def read_main() -> dict[str, str]:
    init_http_context()
    Message(content="Hello, I am a chatbot!").send()
    return {"message": "Hello World from main app"}


copilot.init_app(app, url_prefix="/chainlit")
