"""Assessment runs: periods + policy version + input fingerprint, computed by the engine from the
database's facts, checked by a second person, published once."""
