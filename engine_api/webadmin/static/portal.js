/* vdc Administration Portal: login through the engine's SSO, places as grids over the REST API (JSON),
   detail sub-tabs, actions, auto refresh, keyboard navigation, and the hooks UI plugins use (plugins.js). */
(function () {
  'use strict';

  var API = '/ovirt-engine/api';
  var SESSION_KEY = 'vdc.webadmin.session';
  var PAGE_SIZE = Number(localStorage.getItem('vdc.webadmin.pageSize')) || 100; // rows a page asks the engine for
  var $ = function (id) { return document.getElementById(id); };

  // ------------------------------------------------------------------ helpers

  function esc(value) {
    return String(value == null ? '' : value).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function bytes(n) {
    if (n == null || n === '') return '';
    n = Number(n);
    if (n >= 1 << 30) return (n / (1 << 30)).toFixed(n % (1 << 30) ? 1 : 0) + ' GB';
    if (n >= 1 << 20) return Math.round(n / (1 << 20)) + ' MB';
    return n + ' B';
  }
  var MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  function pad(n) { return n < 10 ? '0' + n : '' + n; }
  function when(ms) {
    if (!ms) return '';
    var d = new Date(Number(ms));
    return d.getFullYear() + '-' + MONTHS[d.getMonth()] + '-' + pad(d.getDate()) + ', ' + pad(d.getHours()) + ':' +
      pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function uptime(vm) {
    if (vm.status !== 'up' || !vm.start_time) return '';
    var s = Math.max(0, (Date.now() - Number(vm.start_time)) / 1000);
    if (s < 60) return Math.floor(s) + ' sec';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    if (s < 86400) return Math.floor(s / 3600) + ' h';
    return Math.floor(s / 86400) + ' days';
  }
  function titleCase(s) {
    return String(s || '').replace(/_/g, ' ').replace(/\b\w/g, function (c) { return c.toUpperCase(); });
  }
  function version(v) { return v ? v.major + '.' + v.minor : ''; }
  function list(doc, key) {
    if (!doc) return [];
    if (Array.isArray(doc[key])) return doc[key];
    for (var k in doc) if (Array.isArray(doc[k])) return doc[k];
    return [];
  }
  function ref(obj) { return obj && obj.id ? obj.id : ''; }

  // ------------------------------------------------------------------ the REST client

  function ApiError(status, reason, detail) {
    this.status = status; this.reason = reason || 'Error'; this.detail = detail || '';
    this.message = this.detail || this.reason;
  }
  var session = null; // {token, user, userId}

  // The API writes integers and booleans as strings, as oVirt's engine does; they are read back by the wire model's
  // types (window.wireTypes, from the host page), the type of an answer following from the path it was asked at.
  var WIRE = window.wireTypes || { types: {}, collections: {} };
  function answerType(path) {
    var segs = path.split('?')[0].split('/').filter(function (s) { return s; });
    if (!segs.length) return ['api', false];
    var tree = WIRE.collections;
    while (segs.length) {
      var found = tree[segs[0]];
      if (!found) return null;
      if (segs.length === 1) return [found[0], true];
      if (segs.length === 2) return [found[0], false];
      if (segs.length === 3 && !found[1][segs[2]]) return ['action', false];
      tree = found[1];
      segs = segs.slice(2);
    }
    return null;
  }
  function typedValue(value, code) {
    if (code === 'int') return typeof value === 'string' && /^-?[0-9]+$/.test(value) ? Number(value) : value;
    if (code === 'bool') return value === 'true' ? true : value === 'false' ? false : value;
    if (code.charAt(0) === '[') {
      var inner = code.slice(1, -1);
      if (Array.isArray(value)) return value.map(function (v) { return typedValue(v, inner); });
      if (value && typeof value === 'object') { // a list keeps its wrapper: {"version": [...]}
        Object.keys(value).forEach(function (k) { if (Array.isArray(value[k])) value[k] = typedValue(value[k], code); });
      }
      return value;
    }
    return typedStruct(value, code);
  }
  function typedStruct(doc, type) {
    var members = WIRE.types[type];
    if (!members || !doc || typeof doc !== 'object' || Array.isArray(doc)) return doc;
    Object.keys(doc).forEach(function (k) { if (members[k]) doc[k] = typedValue(doc[k], members[k]); });
    return doc;
  }
  function typedAnswer(doc, path) {
    var found = answerType(path);
    if (!found || !doc || typeof doc !== 'object') return doc;
    if (found[1] && Array.isArray(doc[found[0]]) && doc.href === undefined) {
      doc[found[0]].forEach(function (item) { typedStruct(item, found[0]); });
      return doc;
    }
    return typedStruct(doc, found[0]);
  }

  function request(method, path, body) {
    var headers = { 'Accept': 'application/json', 'Version': '4', 'Authorization': 'Bearer ' + session.token };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(API + path, { method: method, headers: headers, body: body === undefined ? undefined :
      JSON.stringify(body) }).then(function (r) {
      return r.text().then(function (text) {
        var doc = null;
        try { doc = text ? JSON.parse(text) : null; } catch (e) { doc = null; }
        if (r.status === 401) { expired(); throw new ApiError(401, 'Not authenticated', 'Your session has ended.'); }
        if (!r.ok) {
          var f = (doc && (doc.fault || doc)) || {};
          var detail = String(f.detail || text || r.statusText).replace(/^\[(.*)\]$/s, '$1');
          throw new ApiError(r.status, f.reason, detail);
        }
        return typedAnswer(doc, path);
      });
    });
  }
  var get = function (path) { return request('GET', path); };

  // ------------------------------------------------------------------ names of related entities

  var names = { hosts: {}, clusters: {}, datacenters: {}, clusterDc: {} };
  function loadNames(which) {
    var calls = which.map(function (coll) {
      return get('/' + coll).then(function (doc) {
        var map = {};
        list(doc).forEach(function (e) {
          map[e.id] = e.name;
          if (coll === 'clusters') names.clusterDc[e.id] = ref(e.data_center);
        });
        names[coll] = map;
      });
    });
    return Promise.all(calls);
  }
  function hostName(e) { return names.hosts[ref(e.host)] || ''; }
  function clusterName(e) { return names.clusters[ref(e.cluster)] || ''; }
  function dcOfCluster(e) { return names.datacenters[names.clusterDc[ref(e.cluster)]] || ''; }
  function dcName(e) { return names.datacenters[ref(e.data_center)] || ''; }

  // ------------------------------------------------------------------ status

  var OK = ['up', 'active', 'operational', 'ok', 'unattached'];
  var BAD = ['down', 'non_responsive', 'non_operational', 'error', 'install_failed', 'problematic', 'inactive',
    'not_operational', 'illegal', 'unknown'];
  var BUSY = ['wait_for_launch', 'powering_up', 'powering_down', 'migrating', 'reboot_in_progress', 'saving_state',
    'restoring_state', 'installing', 'initializing', 'preparing_for_maintenance', 'connecting', 'locked',
    'activating', 'detaching', 'preparing_for_maintenance', 'image_locked', 'reboot', 'contend'];
  function statusClass(s) {
    if (OK.indexOf(s) >= 0) return 'ok';
    if (BUSY.indexOf(s) >= 0) return 'busy';
    if (BAD.indexOf(s) >= 0) return 'bad';
    if (s === 'maintenance' || s === 'suspended' || s === 'paused' || s === 'uninitialized') return 'warn';
    return '';
  }
  function dot(s) { return '<span class="dot ' + statusClass(s) + '" title="' + esc(titleCase(s)) + '"></span>'; }

  // ------------------------------------------------------------------ places

  function act(coll, name, body) {
    return function (row) { return request('POST', '/' + coll + '/' + row.id + '/' + name, body || {}); };
  }
  function remove(coll) { return function (row) { return request('DELETE', '/' + coll + '/' + row.id); }; }
  function is() {
    var states = Array.prototype.slice.call(arguments);
    return function (row) { return states.indexOf(row.status) >= 0; };
  }

  function generalOf(fields) {
    return { token: 'general', label: 'General', render: function (row, body) {
      body.innerHTML = '<dl class="props">' + fields.map(function (f) {
        var v = f[1](row);
        return '<div><dt>' + esc(f[0]) + '</dt><dd title="' + esc(v) + '">' + esc(v) + '</dd></div>';
      }).join('') + '</dl>';
    } };
  }
  function table(columns, rows, empty) {
    if (!rows.length) return '<div class="muted">' + esc(empty || 'Nothing to show.') + '</div>';
    return '<table class="grid"><thead><tr>' + columns.map(function (c) { return '<th>' + esc(c[0]) + '</th>'; })
      .join('') + '</tr></thead><tbody>' + rows.map(function (r) {
        return '<tr>' + columns.map(function (c) { return '<td>' + c[1](r) + '</td>'; }).join('') + '</tr>';
      }).join('') + '</tbody></table>';
  }
  function subList(label, token, path, columns, empty) {
    return { token: token, label: label, render: function (row, body) {
      return get(path(row)).then(function (doc) { body.innerHTML = table(columns, list(doc), empty); });
    } };
  }
  function eventsTab(key) {
    return { token: 'events', label: 'Events', render: function (row, body) {
      return get('/events?max=500').then(function (doc) {
        var rows = list(doc, 'event').filter(function (e) { return ref(e[key]) === row.id; }).slice(0, 100);
        body.innerHTML = table(EVENT_COLUMNS, rows, 'No events.');
      });
    } };
  }
  var EVENT_COLUMNS = [
    ['', function (e) { return '<span class="sev-' + esc(e.severity) + '">' + esc(titleCase(e.severity)) + '</span>'; }],
    ['Time', function (e) { return esc(when(e.time)); }],
    ['Message', function (e) { return esc(e.description); }],
  ];
  var DISK_COLUMNS = [
    ['Alias', function (a) { return esc(a.disk && a.disk.name || a.disk && a.disk.alias || ref(a.disk)); }],
    ['Size', function (a) { return esc(bytes(a.disk && a.disk.provisioned_size)); }],
    ['Interface', function (a) { return esc(a.interface || ''); }],
    ['Bootable', function (a) { return a.bootable ? 'yes' : ''; }],
    ['Status', function (a) { return esc(titleCase(a.disk && a.disk.status)); }],
  ];
  var NIC_COLUMNS = [
    ['Name', function (n) { return esc(n.name); }],
    ['MAC', function (n) { return esc(n.mac && n.mac.address); }],
    ['Interface', function (n) { return esc(n.interface || ''); }],
    ['Linked', function (n) { return n.linked === false ? 'no' : 'yes'; }],
  ];
  var VM_COLUMNS_SHORT = [
    ['', function (v) { return dot(v.status); }],
    ['Name', function (v) { return esc(v.name); }],
    ['Status', function (v) { return esc(titleCase(v.status)); }],
    ['Memory', function (v) { return esc(bytes(v.memory)); }],
  ];

  var PLACES = [
    { token: 'dataCenters', label: 'Data Centers', prefix: 'DataCenter:', coll: 'datacenters', entity: 'DataCenter',
      needs: [], columns: [
        ['Name', function (d) { return d.name; }],
        ['Storage Type', function (d) { return d.local ? 'Local' : 'Shared'; }],
        ['Status', function (d) { return titleCase(d.status); }],
        ['Compatibility Version', function (d) { return version(d.version); }],
        ['Description', function (d) { return d.description; }]],
      actions: [{ label: 'Remove', run: remove('datacenters'), confirm: 'Remove data center' }],
      tabs: [generalOf([['Name', function (d) { return d.name; }], ['Description', function (d) { return d.description; }],
        ['Status', function (d) { return titleCase(d.status); }], ['Type', function (d) { return d.local ? 'Local' : 'Shared'; }],
        ['Compatibility Version', function (d) { return version(d.version); }],
        ['Quota Mode', function (d) { return titleCase(d.quota_mode); }], ['ID', function (d) { return d.id; }]]),
      subList('Clusters', 'clusters', function (d) { return '/datacenters/' + d.id + '/clusters'; },
        [['Name', function (c) { return esc(c.name); }], ['Version', function (c) { return esc(version(c.version)); }],
          ['Description', function (c) { return esc(c.description); }]], 'No clusters.'),
      subList('Storage', 'storage', function (d) { return '/datacenters/' + d.id + '/storagedomains'; },
        [['', function (s) { return dot(s.status); }], ['Domain Name', function (s) { return esc(s.name); }],
          ['Type', function (s) { return esc(titleCase(s.type)); }], ['Status', function (s) { return esc(titleCase(s.status)); }],
          ['Free Space', function (s) { return esc(bytes(s.available)); }]], 'No storage domains attached.'),
      subList('Networks', 'networks', function (d) { return '/datacenters/' + d.id + '/networks'; },
        [['Name', function (n) { return esc(n.name); }], ['Description', function (n) { return esc(n.description); }]],
        'No networks.'),
      eventsTab('data_center')] },
    { token: 'clusters', label: 'Clusters', prefix: 'Cluster:', coll: 'clusters', entity: 'Cluster',
      needs: ['datacenters'], noStatus: true, columns: [
        ['Name', function (c) { return c.name; }],
        ['Data Center', dcName],
        ['Compatibility Version', function (c) { return version(c.version); }],
        ['CPU Type', function (c) { return c.cpu && c.cpu.type; }],
        ['Description', function (c) { return c.description; }]],
      actions: [{ label: 'Remove', run: remove('clusters'), confirm: 'Remove cluster' }],
      tabs: [generalOf([['Name', function (c) { return c.name; }], ['Description', function (c) { return c.description; }],
        ['Data Center', dcName], ['Compatibility Version', function (c) { return version(c.version); }],
        ['CPU Type', function (c) { return c.cpu && c.cpu.type; }],
        ['CPU Architecture', function (c) { return c.cpu && c.cpu.architecture; }],
        ['Memory Over Commit', function (c) { return c.memory_policy && c.memory_policy.over_commit ?
          c.memory_policy.over_commit.percent + '%' : ''; }],
        ['Resilience Policy', function (c) { return titleCase(c.error_handling && c.error_handling.on_error); }],
        ['ID', function (c) { return c.id; }]]),
      subList('Hosts', 'hosts', function (c) { return '/hosts?search=' + encodeURIComponent('cluster=' + c.name); },
        [['', function (h) { return dot(h.status); }], ['Name', function (h) { return esc(h.name); }],
          ['Address', function (h) { return esc(h.address); }], ['Status', function (h) { return esc(titleCase(h.status)); }]],
        'No hosts.'),
      subList('Virtual Machines', 'vms', function (c) { return '/vms?search=' + encodeURIComponent('cluster=' + c.name); },
        VM_COLUMNS_SHORT, 'No virtual machines.'),
      eventsTab('cluster')] },
    { token: 'hosts', label: 'Hosts', prefix: 'Host:', coll: 'hosts', entity: 'Host',
      needs: ['clusters', 'datacenters'], columns: [
        ['Name', function (h) { return h.name; }],
        ['Hostname/IP', function (h) { return h.address; }],
        ['Cluster', clusterName],
        ['Data Center', dcOfCluster],
        ['Status', function (h) { return titleCase(h.status); }],
        ['Virtual Machines', function (h) { return h.summary ? h.summary.active : ''; }, 'num'],
        ['Memory', function (h) { return bytes(h.memory); }, 'num'],
        ['CPUs', function (h) { var t = h.cpu && h.cpu.topology; return t ? t.sockets * t.cores * (t.threads || 1) : ''; }, 'num'],
        ['SPM', function (h) { return titleCase(h.spm && h.spm.status); }]],
      actions: [
        { label: 'Activate', run: act('hosts', 'activate'), enabled: is('maintenance') },
        { label: 'Maintenance', run: act('hosts', 'deactivate'), enabled: is('up', 'non_responsive', 'non_operational',
          'install_failed', 'error'), confirm: 'Move to maintenance' },
        { label: 'Refresh Capabilities', run: act('hosts', 'refresh'), enabled: is('up', 'maintenance') },
        { label: 'Remove', run: remove('hosts'), enabled: is('maintenance', 'install_failed', 'non_responsive'),
          confirm: 'Remove host' }],
      tabs: [generalOf([['Name', function (h) { return h.name; }], ['Address', function (h) { return h.address; }],
        ['Status', function (h) { return titleCase(h.status); }], ['Cluster', clusterName],
        ['OS', function (h) { return h.os && h.os.type; }],
        ['Agent Version', function (h) { return h.version && h.version.full_version; }],
        ['libvirt Version', function (h) { return h.libvirt_version && h.libvirt_version.full_version; }],
        ['Active VMs', function (h) { return h.summary ? h.summary.active : ''; }],
        ['CPU Name', function (h) { return h.cpu && h.cpu.name; }],
        ['CPU Topology', function (h) { var t = h.cpu && h.cpu.topology; return t ? t.sockets + ' sockets, ' + t.cores +
          ' cores, ' + (t.threads || 1) + ' threads' : ''; }],
        ['Physical Memory', function (h) { return bytes(h.memory); }],
        ['Max Scheduling Memory', function (h) { return bytes(h.max_scheduling_memory); }],
        ['SPM Priority', function (h) { return h.spm && h.spm.priority; }], ['ID', function (h) { return h.id; }]]),
      subList('Virtual Machines', 'vms', function (h) { return '/vms?search=' + encodeURIComponent('host=' + h.name); },
        VM_COLUMNS_SHORT, 'No virtual machines run here.'),
      subList('Network Interfaces', 'nics', function (h) { return '/hosts/' + h.id + '/nics'; },
        [['', function (n) { return dot(n.status); }], ['Name', function (n) { return esc(n.name); }],
          ['MAC', function (n) { return esc(n.mac && n.mac.address); }],
          ['IPv4', function (n) { return esc(n.ip && n.ip.address); }], ['MTU', function (n) { return esc(n.mtu); }]],
        'No interfaces reported.'),
      eventsTab('host')] },
    { token: 'storage', label: 'Storage Domains', prefix: 'Storage:', coll: 'storagedomains', entity: 'Storage',
      needs: [], columns: [
        ['Domain Name', function (s) { return s.name; }],
        ['Domain Type', function (s) { return titleCase(s.type) + (s.master ? ' (Master)' : ''); }],
        ['Storage Type', function (s) { return s.storage && (s.storage.type || '').toUpperCase(); }],
        ['Status', function (s) { return titleCase(s.status || s.external_status); }],
        ['Total Space', function (s) { return bytes((s.available || 0) + (s.used || 0)); }, 'num'],
        ['Free Space', function (s) { return bytes(s.available); }, 'num'],
        ['Description', function (s) { return s.description; }]],
      actions: [
        { label: 'Activate', run: sdAction('activate'), enabled: function (s) { return sdDc(s) && s.status === 'maintenance'; } },
        { label: 'Maintenance', run: sdAction('deactivate'), enabled: function (s) { return sdDc(s) && s.status === 'active'; },
          confirm: 'Move to maintenance' }],
      tabs: [generalOf([['Name', function (s) { return s.name; }], ['Type', function (s) { return titleCase(s.type); }],
        ['Status', function (s) { return titleCase(s.status || s.external_status); }],
        ['Storage', function (s) { return s.storage ? (s.storage.type || '') + ' ' + (s.storage.address || '') + ':' +
          (s.storage.path || '') : ''; }],
        ['Format', function (s) { return s.storage_format; }], ['Free Space', function (s) { return bytes(s.available); }],
        ['Used Space', function (s) { return bytes(s.used); }], ['ID', function (s) { return s.id; }]]),
      subList('Disks', 'disks', function (s) { return '/storagedomains/' + s.id + '/disks'; },
        [['Alias', function (d) { return esc(d.name || d.alias); }], ['Size', function (d) { return esc(bytes(d.provisioned_size)); }],
          ['Status', function (d) { return esc(titleCase(d.status)); }]], 'No disks.'),
      eventsTab('storage_domain')] },
    { token: 'networks', label: 'Networks', prefix: 'Network:', coll: 'networks', entity: 'Network',
      needs: ['datacenters'], noStatus: true, columns: [
        ['Name', function (n) { return n.name; }],
        ['Data Center', dcName],
        ['VLAN', function (n) { return n.vlan ? n.vlan.id : ''; }],
        ['MTU', function (n) { return n.mtu ? n.mtu : 'Default'; }],
        ['Role', function (n) { return (n.usages && n.usages.usage || []).join(', '); }],
        ['Description', function (n) { return n.description; }]],
      actions: [{ label: 'Remove', run: remove('networks'), confirm: 'Remove network' }],
      tabs: [generalOf([['Name', function (n) { return n.name; }], ['Description', function (n) { return n.description; }],
        ['Data Center', dcName], ['VM Network', function (n) { return (n.usages && n.usages.usage || []).indexOf('vm') >= 0 ?
          'yes' : 'no'; }], ['VLAN', function (n) { return n.vlan ? n.vlan.id : 'none'; }],
        ['MTU', function (n) { return n.mtu || 'Default'; }], ['ID', function (n) { return n.id; }]]),
      subList('vNIC Profiles', 'profiles', function (n) { return '/networks/' + n.id + '/vnicprofiles'; },
        [['Name', function (p) { return esc(p.name); }], ['Description', function (p) { return esc(p.description); }]],
        'No profiles.')] },
    { token: 'vms', label: 'Virtual Machines', prefix: 'Vms:', coll: 'vms', entity: 'VirtualMachine',
      needs: ['hosts', 'clusters', 'datacenters'], columns: [
        ['Name', function (v) { return v.name; }],
        ['Host', hostName],
        ['Cluster', clusterName],
        ['Data Center', dcOfCluster],
        ['Memory', function (v) { return bytes(v.memory); }, 'num'],
        ['CPUs', function (v) { var t = v.cpu && v.cpu.topology; return t ? t.sockets * t.cores * (t.threads || 1) : ''; }, 'num'],
        ['Status', function (v) { return titleCase(v.status); }],
        ['Uptime', uptime],
        ['Description', function (v) { return v.description; }]],
      actions: [
        { label: 'New', create: true, run: newVm },
        { label: 'Run', run: act('vms', 'start'), enabled: is('down', 'suspended', 'paused') },
        { label: 'Suspend', run: act('vms', 'suspend'), enabled: is('up') },
        { label: 'Shutdown', run: act('vms', 'shutdown'), enabled: is('up', 'powering_up', 'reboot_in_progress'),
          confirm: 'Shut down virtual machine' },
        { label: 'Reboot', run: act('vms', 'reboot'), enabled: is('up'), confirm: 'Reboot virtual machine' },
        { label: 'Power Off', run: act('vms', 'stop'), enabled: function (v) { return v.status !== 'down'; },
          confirm: 'Power off virtual machine' },
        { label: 'Migrate', run: migrateVm, enabled: is('up') },
        { label: 'Cancel Migration', run: act('vms', 'cancelmigration'), enabled: is('migrating') },
        { label: 'Remove', run: remove('vms'), enabled: is('down'), confirm: 'Remove virtual machine' }],
      tabs: [generalOf([['Name', function (v) { return v.name; }], ['Description', function (v) { return v.description; }],
        ['Status', function (v) { return titleCase(v.status); }], ['Run On', hostName], ['Cluster', clusterName],
        ['Operating System', function (v) { return v.os && v.os.type; }],
        ['Defined Memory', function (v) { return bytes(v.memory); }],
        ['Guaranteed Memory', function (v) { return bytes(v.memory_policy && v.memory_policy.guaranteed); }],
        ['CPU Topology', function (v) { var t = v.cpu && v.cpu.topology; return t ? t.sockets + ' sockets, ' + t.cores +
          ' cores, ' + (t.threads || 1) + ' threads' : ''; }],
        ['Display', function (v) { return v.display && (v.display.type || '').toUpperCase(); }],
        ['Highly Available', function (v) { return v.high_availability && v.high_availability.enabled ? 'yes' : 'no'; }],
        ['Time Zone', function (v) { return v.time_zone && v.time_zone.name; }],
        ['Origin', function (v) { return v.origin; }], ['Created', function (v) { return when(v.creation_time); }],
        ['ID', function (v) { return v.id; }]]),
      subList('Disks', 'disks', function (v) { return '/vms/' + v.id + '/diskattachments?follow=disk'; }, DISK_COLUMNS,
        'No disks.'),
      subList('Network Interfaces', 'nics', function (v) { return '/vms/' + v.id + '/nics'; }, NIC_COLUMNS,
        'No network interfaces.'),
      eventsTab('vm')] },
    { token: 'templates', label: 'Templates', prefix: 'Template:', coll: 'templates', entity: 'Template',
      needs: ['clusters'], columns: [
        ['Name', function (t) { return t.name; }],
        ['Version', function (t) { return t.version ? t.version.version_number + ' (' + (t.version.version_name || '') + ')' : ''; }],
        ['Status', function (t) { return titleCase(t.status); }],
        ['Cluster', clusterName],
        ['Memory', function (t) { return bytes(t.memory); }, 'num'],
        ['Created', function (t) { return when(t.creation_time); }],
        ['Description', function (t) { return t.description; }]],
      actions: [{ label: 'Remove', run: remove('templates'), enabled: function (t) {
        return t.id !== '00000000-0000-0000-0000-000000000000'; }, confirm: 'Remove template' }],
      tabs: [generalOf([['Name', function (t) { return t.name; }], ['Description', function (t) { return t.description; }],
        ['Status', function (t) { return titleCase(t.status); }], ['Cluster', clusterName],
        ['Operating System', function (t) { return t.os && t.os.type; }], ['Memory', function (t) { return bytes(t.memory); }],
        ['ID', function (t) { return t.id; }]]),
      subList('Disks', 'disks', function (t) { return '/templates/' + t.id + '/diskattachments?follow=disk'; },
        DISK_COLUMNS, 'No disks.'),
      subList('Network Interfaces', 'nics', function (t) { return '/templates/' + t.id + '/nics'; }, NIC_COLUMNS,
        'No network interfaces.'),
      eventsTab('template')] },
    { token: 'events', label: 'Events', prefix: 'Events:', coll: 'events', entity: 'Event', needs: [], noStatus: true,
      columns: [
        ['', function (e) { return e.severity; }, 'sev'],
        ['Time', function (e) { return when(e.time); }],
        ['Message', function (e) { return e.description; }],
        ['Code', function (e) { return e.code; }, 'num'],
        ['Correlation Id', function (e) { return e.correlation_id; }]],
      actions: [],
      tabs: [generalOf([['Time', function (e) { return when(e.time); }], ['Severity', function (e) { return titleCase(e.severity); }],
        ['Message', function (e) { return e.description; }], ['Code', function (e) { return e.code; }],
        ['Origin', function (e) { return e.origin; }], ['Correlation Id', function (e) { return e.correlation_id; }],
        ['Index', function (e) { return e.index; }]])] },
  ];
  var BY_TOKEN = {};
  var BY_ENTITY = {};
  PLACES.forEach(function (p) { BY_TOKEN[p.token] = p; BY_ENTITY[p.entity] = p; });

  function sdDc(s) { var dcs = s.data_centers && s.data_centers.data_center; return dcs && dcs.length ? dcs[0].id : ''; }
  function sdAction(name) {
    return function (s) { return request('POST', '/datacenters/' + sdDc(s) + '/storagedomains/' + s.id + '/' + name, {}); };
  }

  // ------------------------------------------------------------------ state

  var current = { place: null, rows: [], selected: null, tab: 'general', search: {}, page: {}, loading: false };
  var pluginPlaces = []; // {token, label, url, accessible, plugin, priority}
  var pluginTabs = {}; // entity -> [{token, label, url, accessible, plugin, priority}]
  var pluginButtons = {}; // entity -> [{label, iface, plugin, index, id}]
  var pluginDetailButtons = []; // {entity, tab, label, iface, plugin}
  var refreshTimer = null;

  // ------------------------------------------------------------------ login and session

  function showLogin(message) {
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    $('username').focus();
  }
  function expired() {
    if (!session) return;
    sessionStorage.removeItem(SESSION_KEY);
    session = null;
    stopRefresh();
    location.reload();
  }

  function login(ev) {
    ev.preventDefault();
    var user = $('username').value.trim();
    var password = $('password').value;
    if (!user || !password) { $('login-error').textContent = 'Enter a user name and a password.'; return; }
    if (user.indexOf('@') < 0) user += '@' + $('profile').value;
    $('login-button').disabled = true;
    $('login-error').textContent = '';
    var form = new URLSearchParams({ grant_type: 'password', scope: 'ovirt-app-api', username: user, password: password });
    fetch('/ovirt-engine/sso/oauth/token', { method: 'POST', body: form, headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.json().then(function (doc) { return { ok: r.ok, doc: doc }; }); })
      .then(function (res) {
        if (!res.ok || !res.doc.access_token) {
          throw new Error(res.doc.error_description || res.doc.error || 'The login failed.');
        }
        session = { token: res.doc.access_token, user: user, userId: '' };
        return get('').then(function (root) {
          session.userId = ref(root && root.authenticated_user);
          sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
          $('password').value = '';
          start();
        });
      })
      .catch(function (e) { session = null; $('login-error').textContent = e.message || String(e); })
      .then(function () { $('login-button').disabled = false; });
  }

  function signOut() {
    var token = session && session.token;
    window.vdcPlugins.userLogout();
    sessionStorage.removeItem(SESSION_KEY);
    session = null;
    stopRefresh();
    var done = function () { location.hash = ''; location.reload(); };
    if (!token) { done(); return; }
    fetch('/ovirt-engine/services/sso-logout', { method: 'POST', body: new URLSearchParams({ token: token }) })
      .then(done, done);
  }

  // ------------------------------------------------------------------ the frame

  function renderPlaces() {
    var html = PLACES.map(function (p, i) {
      return '<a href="#' + p.token + '" data-token="' + p.token + '">' + esc(p.label) +
        '<span class="key">' + (i < 9 ? 'Alt+' + (i + 1) : '') + '</span></a>';
    }).join('');
    var extra = pluginPlaces.filter(function (p) { return p.accessible; });
    if (extra.length) {
      html += '<div class="sep">Extensions</div>' + extra.map(function (p) {
        return '<a href="#' + esc(p.token) + '" data-token="' + esc(p.token) + '" class="plugin-place">' + esc(p.label) + '</a>';
      }).join('');
    }
    $('places').innerHTML = html;
    markActivePlace();
  }
  function markActivePlace() {
    var token = current.place ? current.place.token : (current.pluginPlace || '');
    Array.prototype.forEach.call($('places').querySelectorAll('a'), function (a) {
      a.classList.toggle('active', a.getAttribute('data-token') === token);
    });
  }

  function route() {
    var token = decodeURIComponent(location.hash.replace(/^#/, '')) || 'vms';
    var place = BY_TOKEN[token];
    if (place) { openPlace(place); return; }
    var pp = pluginPlaces.filter(function (p) { return p.token === token && p.accessible; })[0];
    if (pp) { openPluginPlace(pp); return; }
    location.hash = '#vms';
  }

  function openPluginPlace(pp) {
    if (current.place) selectRow(null);
    current.place = null;
    current.pluginPlace = pp.token;
    $('grid-view').hidden = true;
    var view = $('plugin-view');
    view.hidden = false;
    var frame = view.querySelector('iframe');
    if (!frame || frame.getAttribute('data-token') !== pp.token) {
      view.innerHTML = '<iframe data-token="' + esc(pp.token) + '" title="' + esc(pp.label) + '"></iframe>';
      frame = view.querySelector('iframe');
    }
    if (frame.getAttribute('src') !== pp.url) frame.setAttribute('src', pp.url || 'about:blank');
    markActivePlace();
    stopRefresh();
  }

  function openPlace(place) {
    var changed = current.place !== place;
    if (changed && current.place) selectRow(null);
    current.place = place;
    current.pluginPlace = null;
    $('plugin-view').hidden = true;
    $('plugin-view').innerHTML = '';
    $('grid-view').hidden = false;
    $('search-prefix').textContent = place.prefix;
    $('search').placeholder = place.token === 'events' ? 'severity=error' : place.noStatus ? 'name=prod*' :
      'name=prod* and status=up';
    if (changed) {
      $('search').value = current.search[place.token] || '';
      current.rows = [];
      $('grid').querySelector('tbody').innerHTML = '';
      renderHead();
    }
    renderActions();
    markActivePlace();
    load();
    scheduleRefresh();
  }

  function renderHead() {
    var p = current.place;
    var cells = (p.noStatus ? '' : '<th class="status-col"></th>') + p.columns.map(function (c) {
      return '<th' + (c[2] === 'num' ? ' class="num"' : '') + '>' + esc(c[0]) + '</th>';
    }).join('');
    $('grid').querySelector('thead').innerHTML = '<tr>' + cells + '</tr>';
  }

  // ------------------------------------------------------------------ the grid

  function query() {
    var text = (current.search[current.place.token] || '').trim();
    var page = current.page[current.place.token] || 1;
    var q = page > 1 ? (text ? text + ' page ' + page : 'page ' + page) : text;
    return '/' + current.place.coll + '?max=' + PAGE_SIZE + (q ? '&search=' + encodeURIComponent(q) : '');
  }

  var loadSeq = 0;
  function load(quiet) {
    var place = current.place;
    if (!place || !session) return Promise.resolve();
    var seq = ++loadSeq;
    current.loading = true;
    $('refresh-status').textContent = 'Refreshing...';
    var started = performance.now();
    return Promise.all([get(query()), loadNames(place.needs), lastMessage()]).then(function (res) {
      if (seq !== loadSeq || current.place !== place) return;
      current.rows = list(res[0]);
      hideBanner();
      renderRows();
      var ms = Math.round(performance.now() - started);
      $('refresh-status').textContent = 'Updated ' + new Date().toLocaleTimeString() + ' (' + ms + ' ms)';
      document.body.setAttribute('data-loaded', place.token);
    }).catch(function (e) {
      if (seq !== loadSeq) return;
      if (!quiet || e.status !== 0) showBanner(e.detail || e.message);
      $('refresh-status').textContent = 'Refresh failed';
    }).then(function () { if (seq === loadSeq) current.loading = false; });
  }

  function renderRows() {
    var p = current.place;
    var rows = current.rows;
    var html = new Array(rows.length);
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var cells = p.noStatus ? '' : '<td class="status-col">' + dot(r.status) + '</td>';
      for (var j = 0; j < p.columns.length; j++) {
        var c = p.columns[j];
        var v = c[1](r);
        if (c[2] === 'sev') cells += '<td><span class="sev-' + esc(v) + '">' + esc(titleCase(v)) + '</span></td>';
        else cells += '<td' + (c[2] === 'num' ? ' class="num"' : '') + ' title="' + esc(v) + '">' + esc(v) + '</td>';
      }
      html[i] = '<tr data-id="' + esc(r.id) + '"' + (current.selected && current.selected.id === r.id ?
        ' class="selected" aria-selected="true"' : '') + '>' + cells + '</tr>';
    }
    $('grid').querySelector('tbody').innerHTML = html.join('');
    var page = current.page[p.token] || 1;
    var first = rows.length ? (page - 1) * PAGE_SIZE + 1 : 0;
    $('page-info').textContent = rows.length ? first + '-' + (first + rows.length - 1) : '0';
    $('prev-page').disabled = page <= 1;
    $('next-page').disabled = rows.length < PAGE_SIZE;
    var empty = $('grid-empty');
    empty.hidden = rows.length > 0;
    empty.textContent = (current.search[p.token] ? 'No ' + p.label.toLowerCase() + ' match the search.' :
      'There are no ' + p.label.toLowerCase() + ' yet.');
    // keep the selection across refreshes; drop it when the row is gone
    if (current.selected) {
      var still = rows.filter(function (r) { return r.id === current.selected.id; })[0];
      if (still) {
        var statusChanged = still.status !== current.selected.status;
        current.selected = still;
        renderActions();
        if (statusChanged || current.tab === 'general') renderDetail(true);
      } else if (!(current.page[p.token] > 1 && !rows.length)) {
        selectRow(null);
      }
    }
  }

  function selectRow(id, focusDetail) {
    var p = current.place;
    var row = id ? current.rows.filter(function (r) { return r.id === id; })[0] : null;
    var before = current.selected ? current.selected.id : null;
    current.selected = row || null;
    Array.prototype.forEach.call($('grid').querySelectorAll('tbody tr'), function (tr) {
      var on = row && tr.getAttribute('data-id') === row.id;
      tr.classList.toggle('selected', !!on);
      if (on) { tr.setAttribute('aria-selected', 'true'); tr.scrollIntoView({ block: 'nearest' }); }
      else tr.removeAttribute('aria-selected');
    });
    renderActions();
    if (!row) {
      $('detail').hidden = true;
    } else if (before !== row.id) {
      $('detail').hidden = false;
      renderDetail();
    }
    if (p && before !== (row ? row.id : null)) {
      window.vdcPlugins.selectionChange(p.entity, row ? [{ id: row.id, name: row.name || row.description || '' }] : []);
      renderDetailTabs();
    }
    if (focusDetail && row) {
      var active = $('subtabs').querySelector('button.active');
      if (active) active.focus();
    }
  }

  function move(delta) {
    var rows = current.rows;
    if (!rows.length) return;
    var i = current.selected ? rows.findIndex(function (r) { return r.id === current.selected.id; }) : -1;
    i = Math.max(0, Math.min(rows.length - 1, i < 0 ? (delta > 0 ? 0 : rows.length - 1) : i + delta));
    selectRow(rows[i].id);
  }

  // ------------------------------------------------------------------ detail

  function visibleTabs() {
    var p = current.place;
    var extra = (pluginTabs[p.entity] || []).filter(function (t) { return t.accessible; });
    extra.sort(function (a, b) { return (a.priority || 0) - (b.priority || 0); });
    return p.tabs.concat(extra.map(function (t) { return { token: t.token, label: t.label, plugin: t }; }));
  }

  function renderDetailTabs() {
    if (!current.place || !current.selected) return;
    var tabs = visibleTabs();
    if (!tabs.some(function (t) { return t.token === current.tab; })) current.tab = 'general';
    $('subtabs').innerHTML = tabs.map(function (t) {
      return '<button type="button" role="tab" data-tab="' + esc(t.token) + '" class="' +
        (t.token === current.tab ? 'active' : '') + (t.plugin ? ' plugin-tab' : '') + '" aria-selected="' +
        (t.token === current.tab) + '">' + esc(t.label) + '</button>';
    }).join('');
  }

  var detailSeq = 0;
  function renderDetail(quiet) {
    var row = current.selected;
    if (!row) return;
    $('detail-title').innerHTML = (current.place.noStatus ? '' : dot(row.status) + ' ') +
      esc(current.place.label.replace(/s$/, '') + ': ' + (row.name || row.description || row.id));
    renderDetailTabs();
    var tab = visibleTabs().filter(function (t) { return t.token === current.tab; })[0];
    var body = $('detail-body');
    renderDetailActions(tab);
    if (tab.plugin) {
      var frame = body.querySelector('iframe.plugin-tab');
      if (!frame || frame.getAttribute('data-token') !== tab.token) {
        body.innerHTML = '<iframe class="plugin-tab" data-token="' + esc(tab.token) + '" title="' + esc(tab.label) +
          '"></iframe>';
        frame = body.querySelector('iframe');
      }
      var url = tab.plugin.url || 'about:blank';
      if (frame.getAttribute('src') !== url) frame.setAttribute('src', url);
      return;
    }
    if (quiet && tab.token !== 'general') return;
    var seq = ++detailSeq;
    var target = document.createElement('div');
    var result = tab.render(row, target);
    Promise.resolve(result).then(function () {
      if (seq === detailSeq) { body.innerHTML = ''; body.appendChild(target); }
    }).catch(function (e) {
      if (seq === detailSeq) body.innerHTML = '<div class="dialog-error">' + esc(e.detail || e.message) + '</div>';
    });
  }

  function renderDetailActions(tab) {
    var buttons = pluginDetailButtons.filter(function (b) {
      return b.entity === current.place.entity && b.tab === tab.token;
    });
    var bar = $('detail-actions');
    bar.innerHTML = '';
    buttons.forEach(function (b) { bar.appendChild(pluginButton(b, [])); });
  }

  // ------------------------------------------------------------------ actions

  function selectedItems() {
    return current.selected ? [{ id: current.selected.id, name: current.selected.name || '' }] : [];
  }

  function renderActions() {
    var bar = $('actions');
    bar.innerHTML = '';
    var p = current.place;
    if (!p) return;
    var row = current.selected;
    p.actions.forEach(function (a) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = a.label;
      b.setAttribute('data-action', a.label);
      b.disabled = a.create ? false : !row || (a.enabled ? !a.enabled(row) : false);
      b.addEventListener('click', function () { runAction(a); });
      bar.appendChild(b);
    });
    var extra = (pluginButtons[p.entity] || []).slice().sort(function (x, y) { return (x.index || 0) - (y.index || 0); });
    extra.forEach(function (pb) {
      var el = pluginButton(pb, selectedItems());
      if (el) bar.appendChild(el);
    });
  }

  function pluginButton(pb, items) {
    var plugins = window.vdcPlugins;
    var iface = pb.iface || {};
    var accessible = plugins.call(pb.plugin, iface.isAccessible, items, true);
    if (accessible === false) return null;
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'plugin-button';
    b.textContent = pb.label;
    b.setAttribute('data-action', pb.label);
    b.disabled = plugins.call(pb.plugin, iface.isEnabled, items, true) === false;
    b.addEventListener('click', function () { plugins.call(pb.plugin, iface.onClick, selectedItems()); });
    return b;
  }

  function runAction(a) {
    var row = current.selected;
    if (a.create) { a.run(); return; }
    if (!row) return;
    var what = row.name || row.id;
    var go = function () {
      $('banner').hidden = true;
      return Promise.resolve(a.run(row)).then(function (res) {
        if (res === false) return;
        toast('info', a.label + ': ' + what);
        load(true);
      }).catch(function (e) { showFault(a.label, what, e); });
    };
    if (a.confirm) confirmDialog(a.confirm + ' ' + what + '?', a.label, go);
    else go();
  }

  function showFault(label, what, e) {
    showBanner('Error while executing action ' + label + ' on ' + what + ': ' + (e.detail || e.message), true);
    load(true); // what the engine refused may follow from a change the grid does not show yet
  }
  function showBanner(text, sticky) {
    $('banner-text').textContent = text;
    $('banner').hidden = false;
    if (sticky) $('banner').setAttribute('data-sticky', '1'); else $('banner').removeAttribute('data-sticky');
  }
  function hideBanner() { if (!$('banner').hidden && !$('banner').getAttribute('data-sticky')) $('banner').hidden = true; }

  function newVm() {
    Promise.all([get('/clusters'), get('/templates')]).then(function (res) {
      var clusters = list(res[0]), templates = list(res[1]);
      var options = function (items) {
        return items.map(function (x) { return '<option value="' + esc(x.id) + '">' + esc(x.name) + '</option>'; }).join('');
      };
      formDialog('New Virtual Machine',
        '<label>Name<input name="name" required autofocus></label>' +
        '<label>Cluster<select name="cluster">' + options(clusters) + '</select></label>' +
        '<label>Template<select name="template">' + options(templates) + '</select></label>' +
        '<label>Memory (MB)<input name="memory" type="number" min="1" value="1024"></label>' +
        '<label>Description<input name="description"></label>',
        'OK', function (f) {
          var mb = Number(f.memory.value) * 1024 * 1024;
          return request('POST', '/vms', { name: f.name.value.trim(), cluster: { id: f.cluster.value },
            template: { id: f.template.value }, memory: mb, description: f.description.value,
            memory_policy: { guaranteed: mb, max: mb } }).then(function (vm) {
            toast('info', 'Virtual machine ' + vm.name + ' created');
            load(true).then(function () { selectRow(vm.id); });
          });
        });
    }).catch(function (e) { showBanner(e.detail || e.message); });
    return false;
  }

  function migrateVm(vm) {
    return get('/hosts?search=' + encodeURIComponent('cluster=' + clusterName(vm))).then(function (doc) {
      var hosts = list(doc).filter(function (h) { return h.id !== ref(vm.host) && h.status === 'up'; });
      return new Promise(function (resolve, reject) {
        formDialog('Migrate Virtual Machine ' + vm.name,
          '<label>Destination host<select name="host"><option value="">Automatically choose a host</option>' +
          hosts.map(function (h) { return '<option value="' + esc(h.id) + '">' + esc(h.name) + '</option>'; }).join('') +
          '</select></label>', 'Migrate', function (f) {
            var body = f.host.value ? { host: { id: f.host.value } } : {};
            return request('POST', '/vms/' + vm.id + '/migrate', body).then(resolve);
          }, function () { resolve(false); });
      });
    });
  }

  // ------------------------------------------------------------------ dialogs, toasts

  var dialogs = []; // {token, el, closeOnEsc, onClose}

  function openDialog(opts) {
    var overlay = document.createElement('div');
    overlay.className = 'overlay';
    overlay.innerHTML = '<div class="dialog" role="dialog" aria-modal="true"><div class="dialog-title"><span></span>' +
      (opts.closeIcon === false ? '' : '<button type="button" class="link close" title="Close (Esc)">&#10005;</button>') +
      '</div><div class="dialog-body"></div><div class="dialog-buttons"></div></div>';
    overlay.querySelector('.dialog-title span').textContent = opts.title || '';
    var box = overlay.querySelector('.dialog');
    if (opts.width) box.style.width = /^\d+$/.test(String(opts.width)) ? opts.width + 'px' : opts.width;
    if (opts.height) box.style.height = /^\d+$/.test(String(opts.height)) ? opts.height + 'px' : opts.height;
    var d = { token: opts.token, el: overlay, closeOnEsc: opts.closeOnEsc !== false, onClose: opts.onClose,
      previous: document.activeElement };
    var close = overlay.querySelector('.close');
    if (close) close.addEventListener('click', function () { closeDialog(d); });
    $('dialogs').appendChild(overlay);
    dialogs.push(d);
    return d;
  }
  function closeDialog(d) {
    var i = dialogs.indexOf(d);
    if (i < 0) return;
    dialogs.splice(i, 1);
    d.el.remove();
    if (d.onClose) d.onClose();
    if (d.previous && d.previous.focus) d.previous.focus();
  }
  function dialogButton(d, label, primary, onClick) {
    var b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    if (primary) b.className = 'primary';
    b.addEventListener('click', onClick);
    d.el.querySelector('.dialog-buttons').appendChild(b);
    return b;
  }

  function confirmDialog(text, label, onOk) {
    var d = openDialog({ title: label });
    var body = d.el.querySelector('.dialog-body');
    body.textContent = text;
    var ok = dialogButton(d, 'OK', true, function () { closeDialog(d); onOk(); });
    dialogButton(d, 'Cancel', false, function () { closeDialog(d); });
    ok.focus();
  }

  function formDialog(title, html, okLabel, submit, onCancel) {
    var d = openDialog({ title: title, onClose: function () { if (!d.done && onCancel) onCancel(); } });
    var body = d.el.querySelector('.dialog-body');
    body.innerHTML = '<form>' + html + '<div class="dialog-error" role="alert"></div><button hidden></button></form>';
    var form = body.querySelector('form');
    form.style.display = 'flex'; form.style.flexDirection = 'column'; form.style.gap = '10px';
    var ok;
    var go = function (ev) {
      if (ev) ev.preventDefault();
      ok.disabled = true;
      Promise.resolve(submit(form.elements)).then(function () { d.done = true; closeDialog(d); })
        .catch(function (e) { form.querySelector('.dialog-error').textContent = e.detail || e.message; })
        .then(function () { ok.disabled = false; });
    };
    form.addEventListener('submit', go);
    ok = dialogButton(d, okLabel, true, go);
    dialogButton(d, 'Cancel', false, function () { closeDialog(d); });
    var first = form.querySelector('input, select');
    if (first) first.focus();
  }

  function toast(type, text, ms) {
    var el = document.createElement('div');
    el.className = 'toast ' + (type || 'info');
    el.textContent = text;
    $('toasts').appendChild(el);
    setTimeout(function () { el.remove(); }, ms || 4000);
  }

  function lastMessage() {
    return get('/events?max=1').then(function (doc) {
      var e = list(doc)[0];
      $('last-message').textContent = e ? when(e.time) + '  ' + e.description : '';
    }).catch(function () {});
  }

  function showHelp() {
    var d = openDialog({ title: 'Keyboard shortcuts' });
    d.el.querySelector('.dialog-body').innerHTML = '<table class="shortcuts">' + [
      ['/', 'Focus the search box'], ['&#8593; &#8595; or k j', 'Move the selection'],
      ['Enter', 'Open the selected row\'s detail'], ['Esc', 'Close a dialog, leave the search, clear the selection'],
      ['[ ]', 'Previous and next page'], ['r', 'Refresh now'], ['Alt+1 ... Alt+8', 'Go to a place'], ['?', 'This help'],
    ].map(function (r) { return '<tr><td><kbd>' + r[0] + '</kbd></td><td>' + r[1] + '</td></tr>'; }).join('') + '</table>';
    dialogButton(d, 'Close', true, function () { closeDialog(d); }).focus();
  }

  // ------------------------------------------------------------------ refresh

  function scheduleRefresh() {
    stopRefresh();
    var seconds = Number($('refresh-rate').value);
    if (!seconds || !current.place) return;
    refreshTimer = setInterval(function () {
      if (document.hidden || current.loading || dialogs.length) return;
      load(true);
    }, seconds * 1000);
  }
  function stopRefresh() { if (refreshTimer) { clearInterval(refreshTimer); refreshTimer = null; } }

  // ------------------------------------------------------------------ keyboard

  function typing(el) {
    return el && (el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.tagName === 'TEXTAREA' || el.isContentEditable);
  }
  function onKey(ev) {
    if ($('app').hidden) return;
    if (ev.key === 'Escape') {
      if (dialogs.length) {
        var top = dialogs[dialogs.length - 1];
        if (top.closeOnEsc) closeDialog(top);
        return;
      }
      if (document.activeElement === $('search')) { $('search').blur(); $('grid-wrap').focus(); return; }
      if (current.selected) selectRow(null);
      return;
    }
    if (dialogs.length) return;
    if (ev.altKey && /^[1-9]$/.test(ev.key)) {
      var p = PLACES[Number(ev.key) - 1];
      if (p) { ev.preventDefault(); location.hash = '#' + p.token; }
      return;
    }
    if (typing(document.activeElement) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (!current.place) return;
    switch (ev.key) {
      case '/': ev.preventDefault(); $('search').focus(); $('search').select(); break;
      case 'ArrowDown': case 'j': ev.preventDefault(); move(1); break;
      case 'ArrowUp': case 'k': ev.preventDefault(); move(-1); break;
      case 'Enter': if (current.selected) { ev.preventDefault(); $('detail').hidden = false; selectRow(current.selected.id, true); } break;
      case 'r': load(); break;
      case ']': if (!$('next-page').disabled) $('next-page').click(); break;
      case '[': if (!$('prev-page').disabled) $('prev-page').click(); break;
      case '?': showHelp(); break;
    }
  }

  // ------------------------------------------------------------------ the hooks UI plugins use

  // Places of equal priority follow the plugins' order (their definitions'), not which plugin's frame called first.
  function pluginRank(name) {
    var names = (window.pluginDefinitions || []).map(function (d) { return d.name; });
    var i = names.indexOf(name);
    return i < 0 ? names.length : i;
  }
  function byPriority(a, b) {
    return (a.priority || 0) - (b.priority || 0) || pluginRank(a.plugin) - pluginRank(b.plugin);
  }
  window.vdcPortal = {
    session: function () { return session; },
    currentPlace: function () { return current.place ? current.place.token : current.pluginPlace || ''; },
    addPlace: function (plugin, label, token, url, opts) {
      if (BY_TOKEN[token] || pluginPlaces.some(function (p) { return p.token === token; })) {
        throw new Error('a place with the token \'' + token + '\' exists already');
      }
      pluginPlaces.push({ plugin: plugin, label: String(label), token: String(token), url: url || '', accessible: true,
        priority: (opts && opts.priority) || 0 });
      pluginPlaces.sort(byPriority);
      renderPlaces();
      if (decodeURIComponent(location.hash.replace(/^#/, '')) === token || (opts && opts.defaultPlace)) {
        location.hash = '#' + token; route();
      }
    },
    addDetailTab: function (plugin, entity, label, token, url, opts) {
      if (!BY_ENTITY[entity]) { console.warn('[ui-plugins] no place shows entities of type ' + entity); }
      (pluginTabs[entity] = pluginTabs[entity] || []).push({ plugin: plugin, label: String(label), token: String(token),
        url: url || '', accessible: true, priority: (opts && opts.priority) || 0 });
      if (current.place && current.place.entity === entity) renderDetailTabs();
    },
    setPlaceUrl: function (token, url) {
      var found = false;
      pluginPlaces.forEach(function (p) { if (p.token === token) { p.url = url; found = true; } });
      Object.keys(pluginTabs).forEach(function (k) {
        pluginTabs[k].forEach(function (t) { if (t.token === token) { t.url = url; found = true; } });
      });
      if (current.pluginPlace === token) route();
      else if (current.selected && current.tab === token) renderDetail();
      return found;
    },
    setPlaceAccessible: function (token, accessible) {
      accessible = !!accessible;
      pluginPlaces.forEach(function (p) { if (p.token === token) p.accessible = accessible; });
      Object.keys(pluginTabs).forEach(function (k) {
        pluginTabs[k].forEach(function (t) { if (t.token === token) t.accessible = accessible; });
      });
      renderPlaces();
      if (current.selected) {
        var was = current.tab;
        renderDetailTabs();
        if (was !== current.tab || was === token) renderDetail();
      }
      if (current.pluginPlace === token && !accessible) location.hash = '#vms';
    },
    addButton: function (plugin, entity, label, iface, opts) {
      (pluginButtons[entity] = pluginButtons[entity] || []).push({ plugin: plugin, label: String(label), iface: iface || {},
        index: (opts && opts.index) || (iface && iface.index) || 0 });
      if (current.place && current.place.entity === entity) renderActions();
    },
    addDetailButton: function (plugin, entity, tab, label, iface) {
      pluginDetailButtons.push({ plugin: plugin, entity: entity, tab: tab, label: String(label), iface: iface || {} });
      if (current.selected) renderDetail(true);
    },
    showDialog: function (plugin, title, token, url, width, height, opts) {
      opts = opts || {};
      var d = openDialog({ title: title, token: token, width: width, height: height,
        closeIcon: opts.closeIconVisible !== false, closeOnEsc: opts.closeOnEscKey !== false });
      d.plugin = plugin;
      d.el.querySelector('.dialog-body').innerHTML = '<iframe title="' + esc(title) + '"></iframe>';
      d.el.querySelector('iframe').setAttribute('src', url || 'about:blank');
      (opts.buttons || []).forEach(function (b) {
        dialogButton(d, b.label, false, function () { window.vdcPlugins.call(plugin, b.onClick, []); });
      });
      if (!opts.buttons || !opts.buttons.length) dialogButton(d, 'Close', false, function () { closeDialog(d); });
    },
    setDialogUrl: function (token, url) {
      dialogs.forEach(function (d) { if (d.token === token) d.el.querySelector('iframe').setAttribute('src', url); });
    },
    closeDialog: function (token) {
      dialogs.slice().forEach(function (d) { if (d.token === token) closeDialog(d); });
    },
    toast: toast,
    revealPlace: function (token) { location.hash = '#' + token; },
    setSearch: function (text) {
      if (!current.place) return;
      $('search').value = text;
      current.search[current.place.token] = text;
      current.page[current.place.token] = 1;
      load();
    },
    removeContributions: function (plugin) {
      var mine = function (x) { return x.plugin !== plugin; };
      pluginPlaces = pluginPlaces.filter(mine);
      Object.keys(pluginTabs).forEach(function (k) { pluginTabs[k] = pluginTabs[k].filter(mine); });
      Object.keys(pluginButtons).forEach(function (k) { pluginButtons[k] = pluginButtons[k].filter(mine); });
      pluginDetailButtons = pluginDetailButtons.filter(mine);
      dialogs.slice().forEach(function (d) { if (d.plugin === plugin) closeDialog(d); });
      renderPlaces();
      if (current.place) { renderActions(); if (current.selected) renderDetail(true); } else route();
    },
  };

  // ------------------------------------------------------------------ start

  function wire() {
    $('login-form').addEventListener('submit', login);
    $('sign-out').addEventListener('click', signOut);
    $('help-button').addEventListener('click', showHelp);
    $('search-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      current.search[current.place.token] = $('search').value;
      current.page[current.place.token] = 1;
      load().then(function () { $('grid-wrap').focus(); });
    });
    $('prev-page').addEventListener('click', function () {
      current.page[current.place.token] = Math.max(1, (current.page[current.place.token] || 1) - 1); load();
    });
    $('next-page').addEventListener('click', function () {
      current.page[current.place.token] = (current.page[current.place.token] || 1) + 1; load();
    });
    $('refresh').addEventListener('click', function () { load(); });
    $('refresh-rate').addEventListener('change', function () {
      localStorage.setItem('vdc.webadmin.refresh', $('refresh-rate').value); scheduleRefresh();
    });
    $('banner-close').addEventListener('click', function () { $('banner').hidden = true; });
    $('detail-close').addEventListener('click', function () { selectRow(null); $('grid-wrap').focus(); });
    $('grid').querySelector('tbody').addEventListener('click', function (ev) {
      var tr = ev.target.closest('tr');
      if (tr) { selectRow(tr.getAttribute('data-id')); $('grid-wrap').focus({ preventScroll: true }); }
    });
    $('grid').querySelector('tbody').addEventListener('dblclick', function (ev) {
      var tr = ev.target.closest('tr');
      if (tr) selectRow(tr.getAttribute('data-id'), true);
    });
    $('subtabs').addEventListener('click', function (ev) {
      var b = ev.target.closest('button');
      if (!b) return;
      current.tab = b.getAttribute('data-tab');
      renderDetail();
    });
    $('subtabs').addEventListener('keydown', function (ev) {
      if (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft') return;
      var tabs = visibleTabs();
      var i = tabs.findIndex(function (t) { return t.token === current.tab; });
      i = (i + (ev.key === 'ArrowRight' ? 1 : -1) + tabs.length) % tabs.length;
      current.tab = tabs[i].token;
      renderDetail();
      $('subtabs').querySelector('button.active').focus();
      ev.stopPropagation();
    });
    window.addEventListener('hashchange', route);
    document.addEventListener('keydown', onKey);
    var rate = localStorage.getItem('vdc.webadmin.refresh');
    $('refresh-rate').value = rate === null ? '5' : rate;
  }

  function start() {
    $('login').hidden = true;
    $('app').hidden = false;
    $('user-name').textContent = session.user;
    renderPlaces();
    window.vdcPlugins.start(session).then(function () { route(); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    wire();
    try { session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null'); } catch (e) { session = null; }
    if (!session) { showLogin(); return; }
    get('').then(function () { start(); }, function () { sessionStorage.removeItem(SESSION_KEY); session = null; showLogin(); });
  });
})();
