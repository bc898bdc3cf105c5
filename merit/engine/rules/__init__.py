"""Rule families of an assessment period (points, warning ladders, money, teams)."""
