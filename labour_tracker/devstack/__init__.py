"""The local stack: real Apache Kafka, PostgreSQL and an SFTP server on loopback, for `make run` and the tests."""
