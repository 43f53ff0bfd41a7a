"""hotdigest's Telegram front end: the Application, handlers, delivery, the CLI and configuration."""
