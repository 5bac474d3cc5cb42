"""The PostgreSQL mirror of the tables: history, lists and reporting."""
