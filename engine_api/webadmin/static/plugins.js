/* UI plugins: each enabled plugin's host page runs in a hidden iframe and talks to the portal through
   window.pluginApi(name). Lifecycle DEFINED -> LOADING -> READY -> INITIALIZING -> IN_USE, or FAILED when one of
   its handlers throws: its iframe and everything it added leave the portal, the other plugins keep working. */
(function () {
  'use strict';

  var definitions = window.pluginDefinitions || [];
  var plugins = {}; // name -> plugin record
  var order = []; // names in load order
  var apis = {};
  var session = null;
  var PRELOAD_TIMEOUT = 10000; // ms the portal waits for plugins with lazyLoad false
  var EVENTS_AFTER_INIT = ['UserLogin', 'RestApiSessionAcquired'];

  function warn(msg) { console.warn('[ui-plugins] ' + msg); }

  definitions.forEach(function (d) {
    if (plugins[d.name]) { warn('plugin \'' + d.name + '\' is already defined; skipping the duplicate'); return; }
    plugins[d.name] = { name: d.name, def: d, state: 'DEFINED', handlers: null, queue: [], frame: null,
      allowedOrigins: [], waiters: [] };
    order.push(d.name);
  });

  // ------------------------------------------------------------------ lifecycle

  function fail(p, error) {
    if (p.state === 'FAILED') return;
    p.state = 'FAILED';
    console.error('[ui-plugins] plugin \'' + p.name + '\' failed and was removed from service:', error);
    if (p.frame) { p.frame.remove(); p.frame = null; }
    p.queue = [];
    p.waiters.forEach(function (w) { w(); });
    p.waiters = [];
    if (window.vdcPortal) {
      window.vdcPortal.removeContributions(p.name);
      window.vdcPortal.toast('warning', 'UI plugin ' + p.name + ' failed and was removed: ' +
        (error && error.message ? error.message : String(error)), 8000);
    }
  }

  /* Call a plugin's function; any exception takes the plugin out of service. */
  function call(name, fn, args, fallback) {
    var p = plugins[name];
    if (!p || p.state === 'FAILED') return fallback;
    if (typeof fn !== 'function') return fallback;
    try {
      return fn.apply(p.handlers || null, args || []);
    } catch (e) {
      fail(p, e);
      return fallback;
    }
  }

  function deliver(p, event, args) {
    if (!p.handlers) return;
    call(p.name, p.handlers[event], args);
  }

  /* An event for every plugin: delivered now to plugins in use, queued for those still starting. */
  function fire(event, args) {
    order.forEach(function (name) {
      var p = plugins[name];
      if (p.state === 'IN_USE') deliver(p, event, args);
      else if (p.state === 'LOADING' || p.state === 'READY' || p.state === 'INITIALIZING') p.queue.push([event, args]);
    });
  }

  function initialize(p) {
    if (p.state !== 'READY' || !session) return;
    p.state = 'INITIALIZING';
    deliver(p, 'UiInit', []);
    if (p.state === 'FAILED') return;
    p.state = 'IN_USE';
    deliver(p, 'UserLogin', [session.user, session.userId]);
    if (p.state === 'FAILED') return;
    deliver(p, 'RestApiSessionAcquired', [session.token]);
    var queued = p.queue;
    p.queue = [];
    for (var i = 0; i < queued.length && p.state === 'IN_USE'; i++) {
      if (EVENTS_AFTER_INIT.indexOf(queued[i][0]) < 0) deliver(p, queued[i][0], queued[i][1]);
    }
  }

  function load(p) {
    p.state = 'LOADING';
    var frame = document.createElement('iframe');
    frame.setAttribute('data-plugin', p.name);
    frame.setAttribute('title', 'UI plugin ' + p.name);
    frame.setAttribute('aria-hidden', 'true');
    frame.setAttribute('tabindex', '-1');
    frame.style.display = 'none';
    frame.src = p.def.url;
    p.frame = frame;
    document.getElementById('plugin-frames').appendChild(frame);
  }

  function originAllowed(p, origin) {
    var allowed = p.allowedOrigins;
    if (typeof allowed === 'string') allowed = [allowed];
    return (allowed || []).some(function (o) { return o === '*' || o === origin; });
  }

  window.addEventListener('message', function (ev) {
    order.forEach(function (name) {
      var p = plugins[name];
      if (p.state === 'IN_USE' && originAllowed(p, ev.origin)) deliver(p, 'MessageReceived', [ev.data, ev.source]);
    });
  });

  // ------------------------------------------------------------------ the API a plugin sees

  var DEPRECATED = {
    addMainTab: 'addPrimaryMenuPlace', addSubTab: 'addDetailPlace', setTabContentUrl: 'setPlaceContentUrl',
    setTabAccessible: 'setPlaceAccessible', addMainTabActionButton: 'addMenuPlaceActionButton',
    addSubTabActionButton: 'addDetailPlaceActionButton',
  };

  function makeApi(name) {
    var portal = function () { return window.vdcPortal; };
    var me = function () { return plugins[name]; };
    var guard = function (fn) {
      return function () {
        var p = me();
        if (!p) { warn('no plugin named \'' + name + '\' is defined'); return undefined; }
        if (p.state === 'FAILED') return undefined;
        return fn.apply(null, arguments);
      };
    };
    var api = {
      register: guard(function (handlers) {
        var p = me();
        if (p.handlers) { warn('plugin \'' + name + '\' registered its handlers already'); return; }
        if (!handlers || typeof handlers !== 'object') { warn('register() needs an object of event handlers'); return; }
        p.handlers = handlers;
      }),
      options: guard(function (opts) {
        if (opts && opts.allowedMessageOrigins !== undefined) me().allowedOrigins = opts.allowedMessageOrigins;
      }),
      ready: guard(function () {
        var p = me();
        if (!p.handlers) { warn('plugin \'' + name + '\' called ready() before register()'); return; }
        if (p.state !== 'LOADING') return;
        p.state = 'READY';
        p.waiters.forEach(function (w) { w(); });
        p.waiters = [];
        initialize(p);
      }),
      configObject: guard(function () { return JSON.parse(JSON.stringify(me().def.config || {})); }),

      addPrimaryMenuPlace: guard(function (label, token, url, opts) { portal().addPlace(name, label, token, url, opts); }),
      addPrimaryMenuContainer: guard(function (label, id, opts) { portal().addPlace(name, label, id, '', opts); }),
      addSecondaryMenuPlace: guard(function (primaryId, label, token, url, opts) {
        portal().addPlace(name, label, token, url, opts);
      }),
      addDetailPlace: guard(function (entityType, label, token, url, opts) {
        portal().addDetailTab(name, entityType, label, token, url, opts);
      }),
      setPlaceContentUrl: guard(function (token, url) { portal().setPlaceUrl(token, url); }),
      setPlaceAccessible: guard(function (token, accessible) { portal().setPlaceAccessible(token, accessible); }),
      setPlaceUnloadHandler: guard(function () {}),
      addMenuPlaceActionButton: guard(function (entityType, label, iface, opts) {
        portal().addButton(name, entityType, label, iface, opts);
      }),
      addDetailPlaceActionButton: guard(function (entityType, detailToken, label, iface) {
        portal().addDetailButton(name, entityType, detailToken, label, iface);
      }),
      showDialog: guard(function (title, token, url, width, height, opts) {
        // the first API (the seeds' slides) had no token: showDialog(title, contentUrl, width, height)
        if (arguments.length <= 4 && /^\d+(px|%|em)?$/.test(String(url))) {
          height = width; width = url; url = token; token = 'dialog-' + Math.random().toString(36).slice(2);
        }
        portal().showDialog(name, title, token, url, width, height, opts);
      }),
      setDialogContentUrl: guard(function (token, url) { portal().setDialogUrl(token, url); }),
      closeDialog: guard(function (token) { portal().closeDialog(token); }),
      showAlert: guard(function (type, message, opts) { portal().toast(type, message, opts && opts.autoHideMs); }),
      showToast: guard(function (type, message) { portal().toast(type, message); }),
      revealPlace: guard(function (token) { portal().revealPlace(token); }),
      setSearchString: guard(function (text) { portal().setSearch(text); }),

      loginUserName: function () { return session ? session.user : null; },
      loginUserId: function () { return session ? session.userId : null; },
      ssoToken: function () { return session ? session.token : null; },
      engineBaseUrl: function () { return location.origin + '/ovirt-engine/'; },
      currentLocale: function () { return 'en_US'; },
      currentPlace: function () { return window.vdcPortal ? window.vdcPortal.currentPlace() : ''; },
      rootTag: function () { return { id: '00000000-0000-0000-0000-000000000000', name: 'root' }; },
      logger: function () {
        var prefix = '[ui-plugin ' + name + '] ';
        return { info: function (m) { console.info(prefix + m); }, warning: function (m) { console.warn(prefix + m); },
          severe: function (m) { console.error(prefix + m); } };
      },
      reportFatalError: guard(function (message) { fail(me(), new Error(message || 'fatal error reported')); }),
    };
    Object.keys(DEPRECATED).forEach(function (old) {
      var warned = false;
      api[old] = function () {
        if (!warned) { warned = true; warn(old + ' is deprecated; use ' + DEPRECATED[old]); }
        return api[DEPRECATED[old]].apply(null, arguments);
      };
    });
    return api;
  }

  window.pluginApi = function (name) {
    if (!apis[name]) apis[name] = makeApi(name);
    return apis[name];
  };

  // ------------------------------------------------------------------ what the portal calls

  window.vdcPlugins = {
    /* Load every enabled plugin; resolves once those with lazyLoad false are ready (or failed, or timed out). */
    start: function (s) {
      session = s;
      var waits = [];
      order.forEach(function (name) {
        var p = plugins[name];
        if (!p.def.enabled) return; // defined, never loaded
        if (p.def.lazyLoad === false) {
          waits.push(new Promise(function (resolve) { p.waiters.push(resolve); setTimeout(resolve, PRELOAD_TIMEOUT); }));
        }
        load(p);
      });
      return Promise.all(waits);
    },
    selectionChange: function (entity, items) { fire(entity + 'SelectionChange', items); },
    userLogout: function () { fire('UserLogout', []); },
    call: call,
    states: function () {
      var out = {};
      order.forEach(function (n) { out[n] = plugins[n].state; });
      return out;
    },
  };
})();
