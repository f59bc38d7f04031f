"""node-soap (npm `soap`, pinned by clients/node/package-lock.json) against the facade: every
operation and every declared fault (the scenario in clients/matrix.py)."""
from __future__ import annotations

from .clients import matrix

NODE_CLIENT = matrix.CLIENTS_DIR / "node"


def test_node_soap_every_operation_and_fault(facade, tmp_path):
    node = matrix.need_tools("node")["node"]
    matrix.need((NODE_CLIENT / "node_modules" / "soap").is_dir(),
                "node-soap is not installed: npm ci --prefix tests/shop_api/clients/node")
    with matrix.scenario(facade) as data:
        stdout = matrix.run([node, str(NODE_CLIENT / "client.js"),
                             str(matrix.write_input(tmp_path, data))], "the node-soap client")
    matrix.assert_matrix(matrix.result_of(stdout), matrix.expected(data), facade)
