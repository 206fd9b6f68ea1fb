"""E-mail: the SMTP transport (a leaf, like ``routing_health.slack``)."""
