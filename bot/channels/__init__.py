"""Where chat arrives and replies leave: the terminal, Slack, Teams and the HTTP server."""
