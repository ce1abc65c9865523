"""UI plugins of the administration portal: descriptors, user configuration, resources, managed installs."""
