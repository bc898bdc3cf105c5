"""The assessment engine: framework-free, set-based, deterministic.

It takes a data package (tables) and a validated policy and returns results in which every number
carries its explanation. It never imports Django and never touches the application database.
"""
