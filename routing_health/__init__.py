"""Routing Health: watches Salesforce lead routing and alerts when it breaks."""
