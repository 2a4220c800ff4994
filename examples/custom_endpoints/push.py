"""Push into a live chat from any request, knowing its session id (the widget's
``session`` event, or ``context.session.id`` in a handler). With
``COPILOT_MESSAGE_QUEUE`` this works whichever worker holds the chat; an unknown id
answers 404."""

from flask import Flask

from examples.custom_endpoints.my_copilot import copilot
from flask_copilot import Message, WebsocketSession, init_ws_context

app = Flask(__name__)


@app.get("/hello/<session_id>")
def hello(session_id: str) -> str:
    ws_session = WebsocketSession.get_by_id(session_id=session_id)
    init_ws_context(ws_session)
    Message(content="Hello World").send()
    return "Data sent to the websocket client"


copilot.init_app(app)  # at the root: /copilot/index.js
