"""hotdigest's Telegram front end: the Application, handlers, delivery, CLI and config."""
