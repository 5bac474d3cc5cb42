"""What the tests share, each declared once: deployments of the service on the session's servers and their
workers (stack), the servers a test owns (servers), callers of the API (api) with bearer tokens (tokens), and the
helpers more than one test module drives the service with. Fixtures stay in the conftest.py files, built from these.
"""
