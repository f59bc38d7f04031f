"""A .NET ASMX proxy that Mono's `wsdl` tool generated from the facade's live WSDL (what .NET
ERPs on the classic web-service stack use), compiled with `mcs` and run with `mono`, against
the facade: every operation and every declared fault, each a SoapException carrying its
<detail> (the scenario in clients/matrix.py). Its Basic auth is `Credentials` without
PreAuthenticate: the password goes out only after the facade's 401 challenge."""
from __future__ import annotations

from pathlib import Path

import pytest

from .clients import matrix

SOURCE = matrix.CLIENTS_DIR / "dotnet" / "Client.cs"


@pytest.fixture(scope="session")
def dotnet_client(tmp_path_factory):
    tools = matrix.need_tools("wsdl", "mcs", "mono")

    def build(directory: Path, wsdl_url: str) -> None:
        proxy = directory / "ShopService.cs"
        matrix.run([tools["wsdl"], "-nologo", f"-out:{proxy}", wsdl_url], "Mono's wsdl")
        matrix.run([tools["mcs"], "-nologo", "-warn:0", "-r:System.Web.Services",
                    "-r:System.Web.Extensions", "-r:System.Xml", f"-out:{directory / 'client.exe'}",
                    str(proxy), str(SOURCE)], "mcs")

    generated = matrix.Generated(tmp_path_factory.mktemp("dotnet-client"), build)
    return lambda wsdl_url: (tools["mono"], generated.for_wsdl(wsdl_url) / "client.exe")


def test_dotnet_asmx_proxy_every_operation_and_fault(facade, dotnet_client, tmp_path):
    with matrix.scenario(facade) as data:
        mono, program = dotnet_client(data["wsdl"])
        stdout = matrix.run([mono, str(program), str(matrix.write_input(tmp_path, data))],
                            "the .NET client")
    matrix.assert_matrix(matrix.result_of(stdout), matrix.expected(data), facade)
