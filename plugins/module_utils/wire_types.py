"""Generated from the engine's wire model by ``make docs`` (scripts/gen_wire_types.py); do not edit.

``TYPES``: per wire type, each member that is an integer (``int``), a boolean (``bool``), a list of them
(``[int]``), or a struct or list of structs (``cpu``, ``[disk]``) holding some. ``COLLECTIONS``: per URL segment
of a collection, the type of its items and its sub-collections.
"""

from __future__ import annotations

from typing import Any

TYPES: dict[str, dict[str, str]] = {
    'action': {
        'activate': 'bool', 'allow_partial_import': 'bool', 'async': 'bool', 'attach_wgt': 'bool',
        'attachment': 'disk_attachment', 'authorized_key': 'authorized_key', 'bricks': '[brick]',
        'check_connectivity': 'bool', 'clone': 'bool', 'clone_permissions': 'bool', 'cluster': 'cluster',
        'collapse_snapshots': 'bool', 'commit_on_success': 'bool', 'connection': 'storage_connection',
        'connectivity_timeout': 'int', 'data_center': 'data_center', 'deploy_hosted_engine': 'bool',
        'details': 'gluster_volume_profile_details', 'discard_snapshots': 'bool',
        'discovered_targets': '[iscsi_details]', 'disk': 'disk', 'disk_profile': 'disk_profile', 'disks': '[disk]',
        'exclusive': 'bool', 'filter': 'bool', 'fix_layout': 'bool', 'force': 'bool',
        'grace_period': 'grace_period', 'host': 'host', 'image_transfer': 'image_transfer',
        'import_as_template': 'bool', 'is_attached': 'bool', 'iscsi': 'iscsi_details', 'job': 'job',
        'lease': 'storage_domain_lease', 'logical_units': '[logical_unit]', 'maintenance_after_restart': 'bool',
        'maintenance_enabled': 'bool', 'migrate_vms_in_affinity_closure': 'bool', 'modified_bonds': '[host_nic]',
        'modified_labels': '[network_label]', 'modified_network_attachments': '[network_attachment]',
        'optimize_cpu_settings': 'bool', 'pause': 'bool', 'permission': 'permission', 'placement': 'placement',
        'power_management': 'power_management', 'quota': 'quota', 'reassign_bad_macs': 'bool', 'reboot': 'bool',
        'registration_configuration': 'registration_configuration', 'removed_bonds': '[host_nic]',
        'removed_labels': '[network_label]', 'removed_network_attachments': '[network_attachment]',
        'restore_memory': 'bool', 'seal': 'bool', 'snapshot': 'snapshot', 'source_host': 'host', 'ssh': 'ssh',
        'stop_gluster_service': 'bool', 'storage_domain': 'storage_domain', 'storage_domains': '[storage_domain]',
        'succeeded': 'bool', 'synchronized_network_attachments': '[network_attachment]', 'template': 'template',
        'ticket': 'ticket', 'timeout': 'int', 'undeploy_hosted_engine': 'bool', 'upgrade_percent_complete': 'int',
        'use_cloud_init': 'bool', 'use_ignition': 'bool', 'use_initialization': 'bool', 'use_sysprep': 'bool',
        'virtual_functions_configuration': 'host_nic_virtual_functions_configuration', 'vm': 'vm',
        'vnic_profile_mappings': '[vnic_profile_mapping]', 'volatile': 'bool',
    },
    'affinity_group': {
        'broken': 'bool', 'cluster': 'cluster', 'enforcing': 'bool', 'host_labels': '[affinity_label]',
        'hosts': '[host]', 'hosts_rule': 'affinity_rule', 'positive': 'bool', 'vm_labels': '[affinity_label]',
        'vms': '[vm]', 'vms_rule': 'affinity_rule',
    },
    'affinity_label': {
        'has_implicit_affinity_group': 'bool', 'hosts': '[host]', 'read_only': 'bool', 'vms': '[vm]',
    },
    'affinity_rule': {
        'enabled': 'bool', 'enforcing': 'bool', 'positive': 'bool',
    },
    'agent': {
        'concurrent': 'bool', 'encrypt_options': 'bool', 'host': 'host', 'order': 'int', 'port': 'int',
    },
    'agent_configuration': {
        'port': 'int',
    },
    'api': {
        'authenticated_user': 'user', 'effective_user': 'user', 'product_info': 'product_info',
        'special_objects': 'special_objects', 'summary': 'api_summary',
    },
    'api_summary': {
        'hosts': 'api_summary_item', 'storage_domains': 'api_summary_item', 'users': 'api_summary_item',
        'vms': 'api_summary_item',
    },
    'api_summary_item': {
        'active': 'int', 'total': 'int',
    },
    'application': {
        'vm': 'vm',
    },
    'authorized_key': {
        'user': 'user',
    },
    'backup': {
        'disks': '[disk]', 'host': 'host', 'snapshot': 'snapshot', 'vm': 'vm',
    },
    'balance': {
        'scheduling_policy': 'scheduling_policy', 'scheduling_policy_unit': 'scheduling_policy_unit',
    },
    'bios': {
        'boot_menu': 'boot_menu',
    },
    'block_statistic': {
        'statistics': '[statistic]',
    },
    'bonding': {
        'active_slave': 'host_nic', 'slaves': '[host_nic]',
    },
    'boot_menu': {
        'enabled': 'bool',
    },
    'brick': {
        'gluster_clients': '[gluster_client]', 'gluster_volume': 'gluster_volume', 'instance_type': 'instance_type',
        'memory_pools': '[memory_pool]', 'pid': 'int', 'port': 'int', 'statistics': '[statistic]',
        'template': 'template', 'vm': 'vm', 'vms': '[vm]',
    },
    'brick_memoryinfo': {
        'memory_pools': '[memory_pool]',
    },
    'brick_profile_detail': {
        'brick': 'brick', 'profile_details': '[profile_detail]',
    },
    'cdrom': {
        'file': 'file', 'instance_type': 'instance_type', 'template': 'template', 'vm': 'vm', 'vms': '[vm]',
    },
    'checkpoint': {
        'disks': '[disk]', 'vm': 'vm',
    },
    'cloud_init': {
        'authorized_keys': '[authorized_key]', 'files': '[file]', 'host': 'host',
        'network_configuration': 'network_configuration', 'regenerate_ssh_keys': 'bool', 'users': '[user]',
    },
    'cluster': {
        'affinity_groups': '[affinity_group]', 'ballooning_enabled': 'bool', 'cpu': 'cpu',
        'cpu_profiles': '[cpu_profile]', 'data_center': 'data_center', 'display': 'display',
        'enabled_features': '[cluster_feature]', 'external_network_providers': '[external_provider]',
        'fencing_policy': 'fencing_policy', 'gluster_hooks': '[gluster_hook]', 'gluster_service': 'bool',
        'gluster_volumes': '[gluster_volume]', 'ha_reservation': 'bool', 'ksm': 'ksm',
        'log_max_memory_used_threshold': 'int', 'mac_pool': 'mac_pool', 'maintenance_reason_required': 'bool',
        'management_network': 'network', 'memory_policy': 'memory_policy', 'migration': 'migration',
        'network_filters': '[network_filter]', 'networks': '[network]', 'optional_reason': 'bool',
        'permissions': '[permission]', 'scheduling_policy': 'scheduling_policy', 'supported_versions': '[version]',
        'threads_as_cores': 'bool', 'trusted_service': 'bool', 'tunnel_migration': 'bool',
        'upgrade_in_progress': 'bool', 'upgrade_percent_complete': 'int', 'version': 'version',
        'virt_service': 'bool', 'vnc_encryption': 'bool',
    },
    'cluster_feature': {
        'cluster_level': 'cluster_level',
    },
    'cluster_level': {
        'cluster_features': '[cluster_feature]', 'cpu_types': '[cpu_type]', 'permits': '[permit]',
    },
    'console': {
        'enabled': 'bool',
    },
    'core': {
        'index': 'int', 'socket': 'int',
    },
    'cpu': {
        'cores': '[core]', 'cpu_tune': 'cpu_tune', 'level': 'int', 'topology': 'cpu_topology',
    },
    'cpu_profile': {
        'cluster': 'cluster', 'permissions': '[permission]', 'qos': 'qos',
    },
    'cpu_topology': {
        'cores': 'int', 'sockets': 'int', 'threads': 'int',
    },
    'cpu_tune': {
        'vcpu_pins': '[vcpu_pin]',
    },
    'cpu_type': {
        'level': 'int',
    },
    'data_center': {
        'clusters': '[cluster]', 'iscsi_bonds': '[iscsi_bond]', 'local': 'bool', 'mac_pool': 'mac_pool',
        'networks': '[network]', 'permissions': '[permission]', 'qoss': '[qos]', 'quotas': '[quota]',
        'storage_domains': '[storage_domain]', 'supported_versions': '[version]', 'version': 'version',
    },
    'device': {
        'instance_type': 'instance_type', 'template': 'template', 'vm': 'vm', 'vms': '[vm]',
    },
    'disk': {
        'active': 'bool', 'actual_size': 'int', 'bootable': 'bool', 'disk_profile': 'disk_profile',
        'disk_snapshots': '[disk_snapshot]', 'initial_size': 'int', 'instance_type': 'instance_type',
        'lun_storage': 'host_storage', 'openstack_volume_type': 'open_stack_volume_type',
        'permissions': '[permission]', 'propagate_errors': 'bool', 'provisioned_size': 'int', 'quota': 'quota',
        'read_only': 'bool', 'shareable': 'bool', 'snapshot': 'snapshot', 'sparse': 'bool',
        'statistics': '[statistic]', 'storage_domain': 'storage_domain', 'storage_domains': '[storage_domain]',
        'template': 'template', 'total_size': 'int', 'uses_scsi_reservation': 'bool', 'vm': 'vm', 'vms': '[vm]',
        'wipe_after_delete': 'bool',
    },
    'disk_attachment': {
        'active': 'bool', 'bootable': 'bool', 'disk': 'disk', 'pass_discard': 'bool', 'read_only': 'bool',
        'template': 'template', 'uses_scsi_reservation': 'bool', 'vm': 'vm',
    },
    'disk_profile': {
        'permissions': '[permission]', 'qos': 'qos', 'storage_domain': 'storage_domain',
    },
    'disk_snapshot': {
        'active': 'bool', 'actual_size': 'int', 'bootable': 'bool', 'disk': 'disk', 'disk_profile': 'disk_profile',
        'disk_snapshots': '[disk_snapshot]', 'initial_size': 'int', 'instance_type': 'instance_type',
        'lun_storage': 'host_storage', 'openstack_volume_type': 'open_stack_volume_type', 'parent': 'disk_snapshot',
        'permissions': '[permission]', 'propagate_errors': 'bool', 'provisioned_size': 'int', 'quota': 'quota',
        'read_only': 'bool', 'shareable': 'bool', 'snapshot': 'snapshot', 'sparse': 'bool',
        'statistics': '[statistic]', 'storage_domain': 'storage_domain', 'storage_domains': '[storage_domain]',
        'template': 'template', 'total_size': 'int', 'uses_scsi_reservation': 'bool', 'vm': 'vm', 'vms': '[vm]',
        'wipe_after_delete': 'bool',
    },
    'display': {
        'allow_override': 'bool', 'copy_paste_enabled': 'bool', 'disconnect_action_delay': 'int',
        'file_transfer_enabled': 'bool', 'monitors': 'int', 'port': 'int', 'secure_port': 'int',
        'single_qxl_pci': 'bool', 'smartcard_enabled': 'bool',
    },
    'dns': {
        'search_domains': '[host]', 'servers': '[host]',
    },
    'domain': {
        'groups': '[group]', 'user': 'user', 'users': '[user]',
    },
    'dynamic_cpu': {
        'cpu_tune': 'cpu_tune', 'topology': 'cpu_topology',
    },
    'entity_profile_detail': {
        'profile_details': '[profile_detail]',
    },
    'event': {
        'cluster': 'cluster', 'code': 'int', 'custom_id': 'int', 'data_center': 'data_center', 'flood_rate': 'int',
        'host': 'host', 'index': 'int', 'log_on_host': 'bool', 'storage_domain': 'storage_domain',
        'template': 'template', 'user': 'user', 'vm': 'vm',
    },
    'event_subscription': {
        'user': 'user',
    },
    'external_compute_resource': {
        'external_host_provider': 'external_host_provider',
    },
    'external_discovered_host': {
        'external_host_provider': 'external_host_provider',
    },
    'external_host': {
        'external_host_provider': 'external_host_provider',
    },
    'external_host_group': {
        'external_host_provider': 'external_host_provider',
    },
    'external_host_provider': {
        'compute_resources': '[external_compute_resource]', 'discovered_hosts': '[external_discovered_host]',
        'host_groups': '[external_host_group]', 'hosts': '[host]', 'requires_authentication': 'bool',
    },
    'external_network_provider_configuration': {
        'external_network_provider': 'external_provider', 'host': 'host',
    },
    'external_provider': {
        'requires_authentication': 'bool',
    },
    'external_template_import': {
        'clone': 'bool', 'cluster': 'cluster', 'cpu_profile': 'cpu_profile', 'host': 'host', 'quota': 'quota',
        'storage_domain': 'storage_domain', 'template': 'template',
    },
    'external_vm_import': {
        'cluster': 'cluster', 'cpu_profile': 'cpu_profile', 'drivers_iso': 'file', 'host': 'host', 'quota': 'quota',
        'sparse': 'bool', 'storage_domain': 'storage_domain', 'vm': 'vm',
    },
    'fencing_policy': {
        'enabled': 'bool', 'skip_if_connectivity_broken': 'skip_if_connectivity_broken',
        'skip_if_gluster_bricks_up': 'bool', 'skip_if_gluster_quorum_not_met': 'bool',
        'skip_if_sd_active': 'skip_if_sd_active',
    },
    'file': {
        'storage_domain': 'storage_domain',
    },
    'filter': {
        'position': 'int', 'scheduling_policy_unit': 'scheduling_policy_unit',
    },
    'floppy': {
        'file': 'file', 'instance_type': 'instance_type', 'template': 'template', 'vm': 'vm', 'vms': '[vm]',
    },
    'fop_statistic': {
        'statistics': '[statistic]',
    },
    'gluster_brick_advanced_details': {
        'gluster_clients': '[gluster_client]', 'instance_type': 'instance_type', 'memory_pools': '[memory_pool]',
        'pid': 'int', 'port': 'int', 'template': 'template', 'vm': 'vm', 'vms': '[vm]',
    },
    'gluster_client': {
        'bytes_read': 'int', 'bytes_written': 'int', 'client_port': 'int',
    },
    'gluster_hook': {
        'cluster': 'cluster', 'conflict_status': 'int', 'server_hooks': '[server_hook]',
    },
    'gluster_volume': {
        'bricks': '[brick]', 'cluster': 'cluster', 'disperse_count': 'int', 'redundancy_count': 'int',
        'replica_count': 'int', 'statistics': '[statistic]', 'stripe_count': 'int',
    },
    'gluster_volume_profile_details': {
        'brick_profile_details': '[brick_profile_detail]', 'nfs_profile_details': '[nfs_profile_detail]',
    },
    'grace_period': {
        'expiry': 'int',
    },
    'graphics_console': {
        'instance_type': 'instance_type', 'port': 'int', 'template': 'template', 'tls_port': 'int', 'vm': 'vm',
    },
    'group': {
        'domain': 'domain', 'permissions': '[permission]', 'roles': '[role]', 'tags': '[tag]',
    },
    'guest_operating_system': {
        'kernel': 'kernel', 'version': 'version',
    },
    'high_availability': {
        'enabled': 'bool', 'priority': 'int',
    },
    'hook': {
        'host': 'host',
    },
    'host': {
        'affinity_labels': '[affinity_label]', 'agents': '[agent]', 'cluster': 'cluster', 'cpu': 'cpu',
        'cpu_units': '[host_cpu_unit]', 'device_passthrough': 'host_device_passthrough', 'devices': '[host_device]',
        'display': 'display', 'external_host_provider': 'external_host_provider',
        'external_network_provider_configurations': '[external_network_provider_configuration]', 'hooks': '[hook]',
        'host_numa_nodes': '[host_numa_node]', 'hosted_engine': 'hosted_engine', 'iscsi': 'iscsi_details',
        'katello_errata': '[katello_erratum]', 'ksm': 'ksm', 'libvirt_version': 'version',
        'max_scheduling_memory': 'int', 'memory': 'int', 'network_attachments': '[network_attachment]',
        'network_operation_in_progress': 'bool', 'nics': '[host_nic]', 'numa_supported': 'bool', 'os': 'os',
        'override_iptables': 'bool', 'ovn_configured': 'bool', 'permissions': '[permission]', 'port': 'int',
        'power_management': 'power_management', 'reinstallation_required': 'bool', 'spm': 'spm', 'ssh': 'ssh',
        'statistics': '[statistic]', 'storage_connection_extensions': '[storage_connection_extension]',
        'storages': '[host_storage]', 'summary': 'vm_summary', 'tags': '[tag]',
        'transparent_hugepages': 'transparent_hugepages', 'unmanaged_networks': '[unmanaged_network]',
        'update_available': 'bool', 'version': 'version',
    },
    'host_cpu_unit': {
        'core_id': 'int', 'cpu_id': 'int', 'runs_vdsm': 'bool', 'socket_id': 'int', 'vms': '[vm]',
    },
    'host_device': {
        'host': 'host', 'iommu_group': 'int', 'm_dev_types': '[m_dev_type]', 'parent_device': 'host_device',
        'physical_function': 'host_device', 'placeholder': 'bool', 'virtual_functions': 'int', 'vm': 'vm',
    },
    'host_device_passthrough': {
        'enabled': 'bool',
    },
    'host_nic': {
        'ad_aggregator_id': 'int', 'bonding': 'bonding', 'bridged': 'bool', 'check_connectivity': 'bool',
        'custom_configuration': 'bool', 'host': 'host', 'mtu': 'int', 'network': 'network',
        'network_labels': '[network_label]', 'override_configuration': 'bool', 'physical_function': 'host_nic',
        'qos': 'qos', 'speed': 'int', 'statistics': '[statistic]',
        'virtual_functions_configuration': 'host_nic_virtual_functions_configuration', 'vlan': 'vlan',
    },
    'host_nic_virtual_functions_configuration': {
        'all_networks_allowed': 'bool', 'max_number_of_virtual_functions': 'int',
        'number_of_virtual_functions': 'int',
    },
    'host_numa_node': {
        'cpu': 'cpu', 'host': 'host', 'index': 'int', 'memory': 'int', 'statistics': '[statistic]',
    },
    'host_storage': {
        'host': 'host', 'logical_units': '[logical_unit]', 'nfs_retrans': 'int', 'nfs_timeo': 'int',
        'override_luns': 'bool', 'port': 'int', 'volume_group': 'volume_group',
    },
    'hosted_engine': {
        'active': 'bool', 'configured': 'bool', 'global_maintenance': 'bool', 'local_maintenance': 'bool',
        'score': 'int',
    },
    'image': {
        'size': 'int', 'storage_domain': 'storage_domain',
    },
    'image_transfer': {
        'active': 'bool', 'backup': 'backup', 'disk': 'disk', 'host': 'host', 'image': 'image',
        'inactivity_timeout': 'int', 'shallow': 'bool', 'snapshot': 'disk_snapshot', 'transferred': 'int',
    },
    'initialization': {
        'cloud_init': 'cloud_init', 'nic_configurations': '[nic_configuration]', 'regenerate_ids': 'bool',
        'regenerate_ssh_keys': 'bool',
    },
    'instance_type': {
        'bios': 'bios', 'cdroms': '[cdrom]', 'cluster': 'cluster', 'console': 'console', 'cpu': 'cpu',
        'cpu_profile': 'cpu_profile', 'cpu_shares': 'int', 'custom_compatibility_version': 'version',
        'delete_protected': 'bool', 'disk_attachments': '[disk_attachment]', 'display': 'display',
        'domain': 'domain', 'graphics_consoles': '[graphics_console]', 'high_availability': 'high_availability',
        'initialization': 'initialization', 'io': 'io', 'lease': 'storage_domain_lease',
        'mediated_devices': '[vm_mediated_device]', 'memory': 'int', 'memory_policy': 'memory_policy',
        'migration': 'migration', 'migration_downtime': 'int', 'multi_queues_enabled': 'bool', 'nics': '[nic]',
        'os': 'os', 'permissions': '[permission]', 'placement_policy': 'vm_placement_policy', 'quota': 'quota',
        'rng_device': 'rng_device', 'soundcard_enabled': 'bool', 'start_paused': 'bool', 'stateless': 'bool',
        'storage_domain': 'storage_domain', 'tags': '[tag]', 'tpm_enabled': 'bool', 'tunnel_migration': 'bool',
        'usb': 'usb', 'version': 'template_version', 'virtio_scsi': 'virtio_scsi',
        'virtio_scsi_multi_queues': 'int', 'virtio_scsi_multi_queues_enabled': 'bool', 'vm': 'vm',
        'watchdogs': '[watchdog]',
    },
    'io': {
        'threads': 'int',
    },
    'iscsi_bond': {
        'data_center': 'data_center', 'networks': '[network]', 'storage_connections': '[storage_connection]',
    },
    'iscsi_details': {
        'lun_mapping': 'int', 'paths': 'int', 'port': 'int', 'size': 'int',
    },
    'job': {
        'auto_cleared': 'bool', 'external': 'bool', 'owner': 'user', 'steps': '[step]',
    },
    'katello_erratum': {
        'host': 'host', 'vm': 'vm',
    },
    'kernel': {
        'version': 'version',
    },
    'ksm': {
        'enabled': 'bool', 'merge_across_nodes': 'bool',
    },
    'link_layer_discovery_protocol_element': {
        'oui': 'int', 'subtype': 'int', 'type': 'int',
    },
    'logical_unit': {
        'active_paths': 'int', 'discard_max_size': 'int', 'discard_zeroes_data': 'bool', 'lun_mapping': 'int',
        'paths': 'int', 'port': 'int', 'size': 'int',
    },
    'm_dev_type': {
        'available_instances': 'int',
    },
    'mac_pool': {
        'allow_duplicates': 'bool', 'default_pool': 'bool', 'permissions': '[permission]',
    },
    'memory_over_commit': {
        'percent': 'int',
    },
    'memory_policy': {
        'ballooning': 'bool', 'guaranteed': 'int', 'max': 'int', 'over_commit': 'memory_over_commit',
        'transparent_hugepages': 'transparent_hugepages',
    },
    'memory_pool': {
        'alloc_count': 'int', 'cold_count': 'int', 'hot_count': 'int', 'max_alloc': 'int', 'max_stdalloc': 'int',
        'padded_size': 'int', 'pool_misses': 'int',
    },
    'migration': {
        'bandwidth': 'migration_bandwidth', 'custom_parallel_migrations': 'int',
    },
    'migration_bandwidth': {
        'custom_value': 'int',
    },
    'network': {
        'cluster': 'cluster', 'data_center': 'data_center', 'display': 'bool',
        'external_provider': 'openstack_network_provider', 'external_provider_physical_network': 'network',
        'mtu': 'int', 'network_labels': '[network_label]', 'permissions': '[permission]', 'port_isolation': 'bool',
        'profile_required': 'bool', 'qos': 'qos', 'required': 'bool', 'stp': 'bool', 'vlan': 'vlan',
        'vnic_profiles': '[vnic_profile]',
    },
    'network_attachment': {
        'host': 'host', 'host_nic': 'host_nic', 'in_sync': 'bool', 'network': 'network', 'qos': 'qos',
        'reported_configurations': '[reported_configuration]',
    },
    'network_configuration': {
        'dns': 'dns', 'nics': '[nic]',
    },
    'network_filter': {
        'version': 'version',
    },
    'network_filter_parameter': {
        'nic': 'nic',
    },
    'network_label': {
        'host_nic': 'host_nic', 'network': 'network',
    },
    'nfs_profile_detail': {
        'profile_details': '[profile_detail]',
    },
    'nic': {
        'instance_type': 'instance_type', 'linked': 'bool', 'network': 'network',
        'network_attachments': '[network_attachment]', 'network_filter_parameters': '[network_filter_parameter]',
        'network_labels': '[network_label]', 'on_boot': 'bool', 'plugged': 'bool',
        'reported_devices': '[reported_device]', 'statistics': '[statistic]', 'synced': 'bool',
        'template': 'template', 'virtual_function_allowed_labels': '[network_label]',
        'virtual_function_allowed_networks': '[network]', 'vm': 'vm', 'vms': '[vm]', 'vnic_profile': 'vnic_profile',
    },
    'nic_configuration': {
        'on_boot': 'bool',
    },
    'numa_node_pin': {
        'host_numa_node': 'host_numa_node', 'index': 'int', 'pinned': 'bool',
    },
    'open_stack_provider': {
        'requires_authentication': 'bool',
    },
    'open_stack_volume_type': {
        'openstack_volume_provider': 'openstack_volume_provider',
    },
    'openstack_image': {
        'openstack_image_provider': 'openstack_image_provider',
    },
    'openstack_image_provider': {
        'images': '[openstack_image]', 'requires_authentication': 'bool',
    },
    'openstack_network': {
        'openstack_network_provider': 'openstack_network_provider',
    },
    'openstack_network_provider': {
        'agent_configuration': 'agent_configuration', 'auto_sync': 'bool', 'networks': '[openstack_network]',
        'read_only': 'bool', 'requires_authentication': 'bool', 'subnets': '[openstack_subnet]',
        'unmanaged': 'bool',
    },
    'openstack_subnet': {
        'openstack_network': 'openstack_network',
    },
    'openstack_volume_authentication_key': {
        'openstack_volume_provider': 'openstack_volume_provider',
    },
    'openstack_volume_provider': {
        'authentication_keys': '[openstack_volume_authentication_key]', 'data_center': 'data_center',
        'requires_authentication': 'bool', 'volume_types': '[open_stack_volume_type]',
    },
    'os': {
        'version': 'version',
    },
    'payload': {
        'files': '[file]',
    },
    'permission': {
        'cluster': 'cluster', 'data_center': 'data_center', 'disk': 'disk', 'group': 'group', 'host': 'host',
        'role': 'role', 'storage_domain': 'storage_domain', 'template': 'template', 'user': 'user', 'vm': 'vm',
        'vm_pool': 'vm_pool',
    },
    'permit': {
        'administrative': 'bool', 'role': 'role',
    },
    'placement': {
        'host': 'host', 'hosts': '[placement_host]', 'migration': 'bool', 'scheduling_policy': 'scheduling_policy',
        'vm': 'vm',
    },
    'placement_host': {
        'host': 'host', 'score': 'int', 'selected': 'bool', 'weights': '[placement_weight]',
    },
    'placement_weight': {
        'factor': 'int', 'rank': 'int',
    },
    'power_management': {
        'agents': '[agent]', 'automatic_pm_enabled': 'bool', 'enabled': 'bool', 'kdump_detection': 'bool',
    },
    'product_info': {
        'version': 'version',
    },
    'profile_detail': {
        'block_statistics': '[block_statistic]', 'duration': 'int', 'fop_statistics': '[fop_statistic]',
        'statistics': '[statistic]',
    },
    'qos': {
        'cpu_limit': 'int', 'data_center': 'data_center', 'inbound_average': 'int', 'inbound_burst': 'int',
        'inbound_peak': 'int', 'max_iops': 'int', 'max_read_iops': 'int', 'max_read_throughput': 'int',
        'max_throughput': 'int', 'max_write_iops': 'int', 'max_write_throughput': 'int', 'outbound_average': 'int',
        'outbound_average_linkshare': 'int', 'outbound_average_realtime': 'int',
        'outbound_average_upperlimit': 'int', 'outbound_burst': 'int', 'outbound_peak': 'int',
    },
    'quota': {
        'cluster_hard_limit_pct': 'int', 'cluster_soft_limit_pct': 'int', 'data_center': 'data_center',
        'disks': '[disk]', 'permissions': '[permission]', 'quota_cluster_limits': '[quota_cluster_limit]',
        'quota_storage_limits': '[quota_storage_limit]', 'storage_hard_limit_pct': 'int',
        'storage_soft_limit_pct': 'int', 'users': '[user]', 'vms': '[vm]',
    },
    'quota_cluster_limit': {
        'cluster': 'cluster', 'quota': 'quota', 'vcpu_limit': 'int', 'vcpu_usage': 'int',
    },
    'quota_storage_limit': {
        'limit': 'int', 'quota': 'quota', 'storage_domain': 'storage_domain',
    },
    'rate': {
        'bytes': 'int', 'period': 'int',
    },
    'registration_affinity_group_mapping': {
        'from': 'affinity_group', 'to': 'affinity_group',
    },
    'registration_affinity_label_mapping': {
        'from': 'affinity_label', 'to': 'affinity_label',
    },
    'registration_cluster_mapping': {
        'from': 'cluster', 'to': 'cluster',
    },
    'registration_configuration': {
        'affinity_group_mappings': '[registration_affinity_group_mapping]',
        'affinity_label_mappings': '[registration_affinity_label_mapping]',
        'cluster_mappings': '[registration_cluster_mapping]', 'domain_mappings': '[registration_domain_mapping]',
        'lun_mappings': '[registration_lun_mapping]', 'role_mappings': '[registration_role_mapping]',
        'vnic_profile_mappings': '[registration_vnic_profile_mapping]',
    },
    'registration_domain_mapping': {
        'from': 'domain', 'to': 'domain',
    },
    'registration_lun_mapping': {
        'from': 'disk', 'to': 'disk',
    },
    'registration_role_mapping': {
        'from': 'role', 'to': 'role',
    },
    'registration_vnic_profile_mapping': {
        'from': 'vnic_profile', 'to': 'vnic_profile',
    },
    'reported_configuration': {
        'in_sync': 'bool',
    },
    'reported_device': {
        'vm': 'vm',
    },
    'rng_device': {
        'rate': 'rate',
    },
    'role': {
        'administrative': 'bool', 'mutable': 'bool', 'permits': '[permit]', 'user': 'user',
    },
    'scheduling_policy': {
        'balances': '[balance]', 'default_policy': 'bool', 'filters': '[filter]', 'locked': 'bool',
        'weight': '[weight]',
    },
    'scheduling_policy_unit': {
        'enabled': 'bool', 'internal': 'bool',
    },
    'server_hook': {
        'host': 'host',
    },
    'session': {
        'console_user': 'bool', 'user': 'user', 'vm': 'vm',
    },
    'skip_if_connectivity_broken': {
        'enabled': 'bool', 'threshold': 'int',
    },
    'skip_if_sd_active': {
        'enabled': 'bool',
    },
    'snapshot': {
        'affinity_labels': '[affinity_label]', 'applications': '[application]', 'bios': 'bios', 'cdroms': '[cdrom]',
        'cluster': 'cluster', 'console': 'console', 'cpu': 'cpu', 'cpu_profile': 'cpu_profile', 'cpu_shares': 'int',
        'custom_compatibility_version': 'version', 'delete_protected': 'bool',
        'disk_attachments': '[disk_attachment]', 'disks': '[disk]', 'display': 'display', 'domain': 'domain',
        'dynamic_cpu': 'dynamic_cpu', 'external_host_provider': 'external_host_provider', 'floppies': '[floppy]',
        'graphics_consoles': '[graphics_console]', 'guest_operating_system': 'guest_operating_system',
        'has_illegal_images': 'bool', 'high_availability': 'high_availability', 'host': 'host',
        'host_devices': '[host_device]', 'host_numa_nodes': '[host_numa_node]', 'initialization': 'initialization',
        'instance_type': 'instance_type', 'io': 'io', 'katello_errata': '[katello_erratum]',
        'lease': 'storage_domain_lease', 'mediated_devices': '[vm_mediated_device]', 'memory': 'int',
        'memory_policy': 'memory_policy', 'migration': 'migration', 'migration_downtime': 'int',
        'multi_queues_enabled': 'bool', 'next_run_configuration_exists': 'bool', 'nics': '[nic]',
        'original_template': 'template', 'os': 'os', 'payloads': '[payload]', 'permissions': '[permission]',
        'persist_memorystate': 'bool', 'placement_policy': 'vm_placement_policy', 'quota': 'quota',
        'reported_devices': '[reported_device]', 'rng_device': 'rng_device', 'run_once': 'bool',
        'sessions': '[session]', 'snapshots': '[snapshot]', 'soundcard_enabled': 'bool', 'start_paused': 'bool',
        'stateless': 'bool', 'statistics': '[statistic]', 'storage_domain': 'storage_domain', 'tags': '[tag]',
        'template': 'template', 'tpm_enabled': 'bool', 'tunnel_migration': 'bool', 'usb': 'usb',
        'use_latest_template_version': 'bool', 'virtio_scsi': 'virtio_scsi', 'virtio_scsi_multi_queues': 'int',
        'virtio_scsi_multi_queues_enabled': 'bool', 'vm': 'vm', 'vm_pool': 'vm_pool', 'watchdogs': '[watchdog]',
    },
    'special_objects': {
        'blank_template': 'template', 'root_tag': 'tag',
    },
    'spm': {
        'priority': 'int',
    },
    'ssh': {
        'port': 'int', 'user': 'user',
    },
    'ssh_public_key': {
        'user': 'user',
    },
    'statistic': {
        'brick': 'brick', 'disk': 'disk', 'gluster_volume': 'gluster_volume', 'host': 'host',
        'host_nic': 'host_nic', 'host_numa_node': 'host_numa_node', 'nic': 'nic', 'step': 'step', 'vm': 'vm',
    },
    'step': {
        'execution_host': 'host', 'external': 'bool', 'job': 'job', 'number': 'int', 'parent_step': 'step',
        'progress': 'int', 'statistics': '[statistic]',
    },
    'storage_connection': {
        'gluster_volume': 'gluster_volume', 'host': 'host', 'nfs_retrans': 'int', 'nfs_timeo': 'int', 'port': 'int',
    },
    'storage_connection_extension': {
        'host': 'host',
    },
    'storage_domain': {
        'available': 'int', 'backup': 'bool', 'block_size': 'int', 'committed': 'int',
        'critical_space_action_blocker': 'int', 'data_center': 'data_center', 'data_centers': '[data_center]',
        'discard_after_delete': 'bool', 'disk_profiles': '[disk_profile]', 'disk_snapshots': '[disk_snapshot]',
        'disks': '[disk]', 'files': '[file]', 'host': 'host', 'images': '[image]', 'import': 'bool',
        'master': 'bool', 'permissions': '[permission]', 'storage': 'host_storage',
        'storage_connections': '[storage_connection]', 'supports_discard': 'bool',
        'supports_discard_zeroes_data': 'bool', 'templates': '[template]', 'used': 'int', 'vms': '[vm]',
        'warning_low_space_indicator': 'int', 'wipe_after_delete': 'bool',
    },
    'storage_domain_lease': {
        'storage_domain': 'storage_domain',
    },
    'tag': {
        'group': 'group', 'host': 'host', 'parent': 'tag', 'template': 'template', 'user': 'user', 'vm': 'vm',
    },
    'template': {
        'bios': 'bios', 'cdroms': '[cdrom]', 'cluster': 'cluster', 'console': 'console', 'cpu': 'cpu',
        'cpu_profile': 'cpu_profile', 'cpu_shares': 'int', 'custom_compatibility_version': 'version',
        'delete_protected': 'bool', 'disk_attachments': '[disk_attachment]', 'display': 'display',
        'domain': 'domain', 'graphics_consoles': '[graphics_console]', 'high_availability': 'high_availability',
        'initialization': 'initialization', 'io': 'io', 'lease': 'storage_domain_lease',
        'mediated_devices': '[vm_mediated_device]', 'memory': 'int', 'memory_policy': 'memory_policy',
        'migration': 'migration', 'migration_downtime': 'int', 'multi_queues_enabled': 'bool', 'nics': '[nic]',
        'os': 'os', 'permissions': '[permission]', 'placement_policy': 'vm_placement_policy', 'quota': 'quota',
        'rng_device': 'rng_device', 'soundcard_enabled': 'bool', 'start_paused': 'bool', 'stateless': 'bool',
        'storage_domain': 'storage_domain', 'tags': '[tag]', 'tpm_enabled': 'bool', 'tunnel_migration': 'bool',
        'usb': 'usb', 'version': 'template_version', 'virtio_scsi': 'virtio_scsi',
        'virtio_scsi_multi_queues': 'int', 'virtio_scsi_multi_queues_enabled': 'bool', 'vm': 'vm',
        'watchdogs': '[watchdog]',
    },
    'template_version': {
        'base_template': 'template', 'version_number': 'int',
    },
    'ticket': {
        'expiry': 'int',
    },
    'transparent_hugepages': {
        'enabled': 'bool',
    },
    'unmanaged_network': {
        'host': 'host', 'host_nic': 'host_nic',
    },
    'usb': {
        'enabled': 'bool',
    },
    'user': {
        'domain': 'domain', 'groups': '[group]', 'logged_in': 'bool', 'options': '[user_option]',
        'permissions': '[permission]', 'roles': '[role]', 'ssh_public_keys': '[ssh_public_key]', 'tags': '[tag]',
    },
    'user_option': {
        'user': 'user',
    },
    'vcpu_pin': {
        'vcpu': 'int',
    },
    'version': {
        'build': 'int', 'major': 'int', 'minor': 'int', 'revision': 'int',
    },
    'virtio_scsi': {
        'enabled': 'bool',
    },
    'vlan': {
        'id': 'int',
    },
    'vm': {
        'affinity_labels': '[affinity_label]', 'applications': '[application]', 'bios': 'bios', 'cdroms': '[cdrom]',
        'cluster': 'cluster', 'console': 'console', 'cpu': 'cpu', 'cpu_profile': 'cpu_profile', 'cpu_shares': 'int',
        'custom_compatibility_version': 'version', 'delete_protected': 'bool',
        'disk_attachments': '[disk_attachment]', 'display': 'display', 'domain': 'domain',
        'dynamic_cpu': 'dynamic_cpu', 'external_host_provider': 'external_host_provider', 'floppies': '[floppy]',
        'graphics_consoles': '[graphics_console]', 'guest_operating_system': 'guest_operating_system',
        'has_illegal_images': 'bool', 'high_availability': 'high_availability', 'host': 'host',
        'host_devices': '[host_device]', 'host_numa_nodes': '[host_numa_node]', 'initialization': 'initialization',
        'instance_type': 'instance_type', 'io': 'io', 'katello_errata': '[katello_erratum]',
        'lease': 'storage_domain_lease', 'mediated_devices': '[vm_mediated_device]', 'memory': 'int',
        'memory_policy': 'memory_policy', 'migration': 'migration', 'migration_downtime': 'int',
        'multi_queues_enabled': 'bool', 'next_run_configuration_exists': 'bool', 'nics': '[nic]',
        'original_template': 'template', 'os': 'os', 'payloads': '[payload]', 'permissions': '[permission]',
        'placement_policy': 'vm_placement_policy', 'quota': 'quota', 'reported_devices': '[reported_device]',
        'rng_device': 'rng_device', 'run_once': 'bool', 'sessions': '[session]', 'snapshots': '[snapshot]',
        'soundcard_enabled': 'bool', 'start_paused': 'bool', 'stateless': 'bool', 'statistics': '[statistic]',
        'storage_domain': 'storage_domain', 'tags': '[tag]', 'template': 'template', 'tpm_enabled': 'bool',
        'tunnel_migration': 'bool', 'usb': 'usb', 'use_latest_template_version': 'bool',
        'virtio_scsi': 'virtio_scsi', 'virtio_scsi_multi_queues': 'int', 'virtio_scsi_multi_queues_enabled': 'bool',
        'vm_pool': 'vm_pool', 'watchdogs': '[watchdog]',
    },
    'vm_base': {
        'bios': 'bios', 'cluster': 'cluster', 'console': 'console', 'cpu': 'cpu', 'cpu_profile': 'cpu_profile',
        'cpu_shares': 'int', 'custom_compatibility_version': 'version', 'delete_protected': 'bool',
        'display': 'display', 'domain': 'domain', 'high_availability': 'high_availability',
        'initialization': 'initialization', 'io': 'io', 'lease': 'storage_domain_lease', 'memory': 'int',
        'memory_policy': 'memory_policy', 'migration': 'migration', 'migration_downtime': 'int',
        'multi_queues_enabled': 'bool', 'os': 'os', 'placement_policy': 'vm_placement_policy', 'quota': 'quota',
        'rng_device': 'rng_device', 'soundcard_enabled': 'bool', 'start_paused': 'bool', 'stateless': 'bool',
        'storage_domain': 'storage_domain', 'tpm_enabled': 'bool', 'tunnel_migration': 'bool', 'usb': 'usb',
        'virtio_scsi': 'virtio_scsi', 'virtio_scsi_multi_queues': 'int', 'virtio_scsi_multi_queues_enabled': 'bool',
    },
    'vm_mediated_device': {
        'instance_type': 'instance_type', 'template': 'template', 'vm': 'vm', 'vms': '[vm]',
    },
    'vm_numa_node': {
        'cpu': 'cpu', 'host': 'host', 'index': 'int', 'memory': 'int', 'numa_node_pins': '[numa_node_pin]',
        'statistics': '[statistic]', 'vm': 'vm',
    },
    'vm_placement_policy': {
        'hosts': '[host]',
    },
    'vm_pool': {
        'auto_storage_select': 'bool', 'cluster': 'cluster', 'display': 'display', 'instance_type': 'instance_type',
        'max_user_vms': 'int', 'permissions': '[permission]', 'prestarted_vms': 'int', 'rng_device': 'rng_device',
        'size': 'int', 'soundcard_enabled': 'bool', 'stateful': 'bool', 'template': 'template',
        'tpm_enabled': 'bool', 'use_latest_template_version': 'bool', 'vm': 'vm',
    },
    'vm_summary': {
        'active': 'int', 'migrating': 'int', 'total': 'int',
    },
    'vnic_profile': {
        'failover': 'vnic_profile', 'migratable': 'bool', 'network': 'network', 'network_filter': 'network_filter',
        'permissions': '[permission]', 'port_mirroring': 'bool', 'qos': 'qos',
    },
    'vnic_profile_mapping': {
        'target_vnic_profile': 'vnic_profile',
    },
    'volume_group': {
        'logical_units': '[logical_unit]',
    },
    'watchdog': {
        'instance_type': 'instance_type', 'template': 'template', 'vm': 'vm', 'vms': '[vm]',
    },
    'weight': {
        'factor': 'int', 'scheduling_policy': 'scheduling_policy',
        'scheduling_policy_unit': 'scheduling_policy_unit',
    },
}

COLLECTIONS: dict[str, Any] = {
    'affinitylabels': ('affinity_label', {
        'hosts': ('host', {}),
        'vms': ('vm', {}),
    }),
    'clusterlevels': ('cluster_level', {}),
    'clusters': ('cluster', {
        'affinitygroups': ('affinity_group', {
            'hostlabels': ('affinity_label', {}),
            'hosts': ('host', {}),
            'vmlabels': ('affinity_label', {}),
            'vms': ('vm', {}),
        }),
        'cpuprofiles': ('cpu_profile', {}),
        'networks': ('network', {}),
        'permissions': ('permission', {}),
    }),
    'cpuprofiles': ('cpu_profile', {}),
    'datacenters': ('data_center', {
        'clusters': ('cluster', {}),
        'networks': ('network', {}),
        'permissions': ('permission', {}),
        'storagedomains': ('storage_domain', {}),
    }),
    'diskprofiles': ('disk_profile', {}),
    'disks': ('disk', {
        'permissions': ('permission', {}),
    }),
    'domains': ('domain', {
        'groups': ('group', {}),
        'users': ('user', {}),
    }),
    'events': ('event', {}),
    'externalvmimports': ('external_vm_import', {}),
    'groups': ('group', {
        'permissions': ('permission', {}),
        'tags': ('tag', {}),
    }),
    'hosts': ('host', {
        'affinitylabels': ('affinity_label', {}),
        'hooks': ('hook', {}),
        'networkattachments': ('network_attachment', {}),
        'nics': ('host_nic', {
            'networkattachments': ('network_attachment', {}),
        }),
        'permissions': ('permission', {}),
        'statistics': ('statistic', {}),
        'storage': ('host_storage', {}),
        'tags': ('tag', {}),
    }),
    'jobs': ('job', {}),
    'macpools': ('mac_pool', {}),
    'networks': ('network', {
        'permissions': ('permission', {}),
        'vnicprofiles': ('vnic_profile', {}),
    }),
    'operatingsystems': ('operating_system', {}),
    'permissions': ('permission', {}),
    'roles': ('role', {
        'permits': ('permit', {}),
    }),
    'schedulingpolicies': ('scheduling_policy', {
        'balances': ('balance', {}),
        'filters': ('filter', {}),
        'weights': ('weight', {}),
    }),
    'schedulingpolicyunits': ('scheduling_policy_unit', {}),
    'storagedomains': ('storage_domain', {
        'diskprofiles': ('disk_profile', {}),
        'disks': ('disk', {}),
        'permissions': ('permission', {}),
    }),
    'tags': ('tag', {}),
    'templates': ('template', {
        'cdroms': ('cdrom', {}),
        'diskattachments': ('disk_attachment', {}),
        'graphicsconsoles': ('graphics_console', {}),
        'nics': ('nic', {
            'networkfilterparameters': ('network_filter_parameter', {}),
            'reporteddevices': ('reported_device', {}),
        }),
        'permissions': ('permission', {}),
        'tags': ('tag', {}),
    }),
    'users': ('user', {
        'groups': ('group', {}),
        'permissions': ('permission', {}),
        'tags': ('tag', {}),
    }),
    'vms': ('vm', {
        'affinitylabels': ('affinity_label', {}),
        'cdroms': ('cdrom', {}),
        'diskattachments': ('disk_attachment', {}),
        'graphicsconsoles': ('graphics_console', {}),
        'hostdevices': ('host_device', {}),
        'nics': ('nic', {
            'networkfilterparameters': ('network_filter_parameter', {}),
            'reporteddevices': ('reported_device', {}),
        }),
        'numanodes': ('vm_numa_node', {}),
        'permissions': ('permission', {}),
        'reporteddevices': ('reported_device', {}),
        'snapshots': ('snapshot', {}),
        'statistics': ('statistic', {}),
        'tags': ('tag', {}),
        'watchdogs': ('watchdog', {}),
    }),
    'vnicprofiles': ('vnic_profile', {
        'permissions': ('permission', {}),
    }),
}
