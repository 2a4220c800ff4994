"""Mount the copilot on an existing Flask app, under a path.

    flask-copilot run examples.custom_endpoints.mount:app

The widget is then at /chainlit/copilot/index.js; pass ``server: ".../chainlit"``.
Use ``url_prefix=""`` to mount it at the root.
"""

from flask import Flask

from examples.custom_endpoints.my_copilot import copilot

app = Flask(__name__)


@app.get("/app")
def read_main() -> dict[str, str]:
    return {"message": "Hello World from main app"}


copilot.init_app(app, url_prefix="/chainlit")
