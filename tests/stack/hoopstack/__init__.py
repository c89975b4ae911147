"""Local servers for testing hoop.gateway: an OAuth 2.0 authorization server and a gateway."""
