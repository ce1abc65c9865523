"""The administration portal at ``/ovirt-engine/webadmin/``: a host page, its client and plugin resources."""
