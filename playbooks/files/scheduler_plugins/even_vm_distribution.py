# The seed article's sample unit, changed only as far as Python 3 and ovirtsdk4 require.
# ruff: noqa: UP031, UP039
import os
import sys

import ovirtsdk4 as sdk


class even_vm_distribution():
    '''rank hosts by the number of running vms on them, with the least first'''
    properties_validation = ''

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

    def do_score(self, hosts_ids, vm_id, args_map):
        conn = self._get_connection()
        if conn is None:
            return
        engine_hosts = self._get_hosts(hosts_ids, conn)

        #iterate over them and score them based on the number of vms runnin

        host_scores = []
        for engine_host in engine_hosts:
            if(engine_host and engine_host.summary):
                host_scores.append((engine_host.id, engine_host.summary.active))
        print(host_scores)
