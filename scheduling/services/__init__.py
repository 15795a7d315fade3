"""Services: read the database, call the pure engine, write the result inside explicit transactions."""
