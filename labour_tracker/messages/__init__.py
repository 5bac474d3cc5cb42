"""The Kafka contract: envelopes of commands, events and outcomes, and the payload of each command type."""
