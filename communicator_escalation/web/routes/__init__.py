"""The web UI's pages: every module's `router` is included by `install_web`."""
