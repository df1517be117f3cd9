"""Pool: a C2B collective-bargaining service."""
