"""Live streams of a labour: the hub of streams, the feed of live messages, stream tickets, SSE framing."""
