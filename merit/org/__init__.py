"""People and roles (组织): teams, agents and the roles of users."""
