"""``make demo``: a lab engine, the example estate applied twice by Ansible, and what now exists."""
