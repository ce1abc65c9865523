"""The store: schema, migrations, repositories, the audit log and how collections are listed and searched."""
