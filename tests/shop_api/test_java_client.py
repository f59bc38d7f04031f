"""A JAX-WS RI client that wsimport generated from the facade's live WSDL (what Java ERPs do),
against the facade: every operation and every declared fault, each fault arriving as the
checked exception the WSDL declares (NotFound_Exception, ...). Scenario: clients/matrix.py."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .clients import matrix

SOURCE = matrix.CLIENTS_DIR / "java" / "Client.java"
PACKAGE = "shop"


def jaxws_runtime(wsimport: str) -> Path:
    """jaxws-rt.jar beside the wsimport in use (JAXWS_HOME/lib, as the wsimport script finds
    its tools jar); its manifest puts the rest of the JAX-WS RI on the class path."""
    home = Path(os.environ.get("JAXWS_HOME") or Path(wsimport).resolve().parent.parent)
    return home / "lib" / "jaxws-rt.jar"


@pytest.fixture(scope="session")
def java_client(tmp_path_factory):
    tools = matrix.need_tools("wsimport", "javac", "java")
    runtime = jaxws_runtime(tools["wsimport"])
    matrix.need(runtime.is_file(), f"no JAX-WS runtime at {runtime}")

    def build(directory: Path, wsdl_url: str) -> None:
        sources, classes = directory / "src", directory / "classes"
        sources.mkdir()
        classes.mkdir()
        matrix.run([tools["wsimport"], "-quiet", "-Xnocompile", "-keep", "-s", str(sources),
                    "-p", PACKAGE, wsdl_url], "wsimport")
        generated = sorted(str(p) for p in (sources / PACKAGE).glob("*.java"))
        matrix.run([tools["javac"], "-nowarn", "-encoding", "UTF-8", "-cp", str(runtime),
                    "-d", str(classes), *generated, str(SOURCE)], "javac")

    generated = matrix.Generated(tmp_path_factory.mktemp("java-client"), build)
    return lambda wsdl_url: (tools["java"], f"{generated.for_wsdl(wsdl_url) / 'classes'}"
                                            f"{os.pathsep}{runtime}")


def declared_exception(kind: str) -> str:
    """How wsimport names the checked exception of a wsdl:fault whose element is `kind`
    (the fault bean class takes the plain name)."""
    return f"{kind}_Exception"


def test_jaxws_every_operation_and_fault_typed(facade, java_client, tmp_path):
    with matrix.scenario(facade) as data:
        java, classpath = java_client(data["wsdl"])
        stdout = matrix.run([java, "-cp", classpath, "Client",
                             str(matrix.write_input(tmp_path, data))], "the JAX-WS client")
    matrix.assert_matrix(matrix.result_of(stdout), matrix.expected(data, declared_exception),
                         facade)
