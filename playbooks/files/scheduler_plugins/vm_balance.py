# The seed article's sample unit, changed only as far as Python 3 and ovirtsdk4 require.
# ruff: noqa: UP031, UP039
import os
import sys

import ovirtsdk4 as sdk


class vm_balance():
    '''moves a vm off a host that runs more than the maximum number of vms'''
    properties_validation = 'maximum_vm_count=[0-9]*'

    def _get_connection(self):
        #open a connection to the rest api
        connection = None
        try:
            connection = sdk.Connection(url=os.environ['VDC_API_URL'],
                                        token=os.environ['VDC_API_TOKEN'])
        except BaseException as ex:
            #letting the external proxy know there was an error
            print(ex, file=sys.stderr)
            return None
        return connection

    def _get_hosts(self, host_ids, connection):
        #get all the hosts with the given ids
        engine_hosts = connection.system_service().hosts_service().list(
            search=" or ".join(["id=%s" % u for u in host_ids]))
        return engine_hosts

    def do_balance(self, hosts_ids, args_map):
        conn = self._get_connection()
        if conn is None:
            return
        #get our parameters from the map
        maximum_vm_count = int(args_map.get('maximum_vm_count', 100))

        #get all the hosts with the given ids
        engine_hosts = self._get_hosts(hosts_ids, conn)

        #iterate over them and decide which to balance from
        over_loaded_host = None
        white_listed_hosts = []
        for engine_host in engine_hosts:
            if(engine_host):
                if (engine_host.summary.active < maximum_vm_count):
                    white_listed_hosts.append(engine_host.id)
                    continue
                if(not over_loaded_host or over_loaded_host.summary.active < engine_host.summary.active):
                    over_loaded_host = engine_host
        if(not over_loaded_host):
            return
        selected_vm = None

        #just pick the first we find
        host_vms = conn.system_service().vms_service().list(search='host=' + over_loaded_host.name)
        if host_vms:
            selected_vm = host_vms[0].id
        else:
            return

        print((selected_vm, white_listed_hosts))
