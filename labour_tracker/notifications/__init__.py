"""The channels notifications leave by: SMS through Twilio, email through the mail relay's SFTP drop directory."""
