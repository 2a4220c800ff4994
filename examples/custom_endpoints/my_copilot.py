"""The copilot the custom-endpoint examples mount (the seed's ``my_cl_app.py``)."""

from flask_copilot import Copilot, Message, context, user_session

copilot = Copilot()


@copilot.on_chat_start
def main() -> None:
    print("Session id:", user_session.get("id"))
    Message(f"Your session id is {context.session.id}").send()


@copilot.on_message
def echo(msg: Message) -> None:
    Message(f"You said: {msg.content}").send()
