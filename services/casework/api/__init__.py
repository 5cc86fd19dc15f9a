"""The casework HTTP API: endpoints, their schemas, errors, and the server thread that runs them."""
