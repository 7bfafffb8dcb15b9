"""Wire protocols: the formats on the wire, shared by the server and the load engine."""
