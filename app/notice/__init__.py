"""The public notice board (公开栏): what was decided and done, for anyone, online and on paper."""


def init_app(app):
    """Keep the board's index in step with every source: subscribe to their signals."""
    from app.notice import index   # when the app is built; importing app.notice.rules stays light

    index.connect_signals()
