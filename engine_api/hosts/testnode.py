"""The node of libvirt's test driver that a host gets when its hypervisor is that driver (``test://`` URI):
written into the agent's state directory by deployment and by the lab alike."""

NODE_XML = """<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><nodes>1</nodes><sockets>2</sockets><cores>4</cores><threads>1</threads></cpu>
  <memory>{kib}</memory>
</node>
"""
