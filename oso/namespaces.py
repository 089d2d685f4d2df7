"""XML namespaces osokit speaks, as constants (one place, no string literals elsewhere)."""

DOSSIER = "http://www.edustandaard.nl/oso_gegevensset/2019/dossier"
SERVICE = "http://xml.kennisnet.nl/schemas/Overstapservice/20200910"
SERVICE_OSO18 = "http://xml.kennisnet.nl/schemas/Overstapservice/20180404"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"


def q(namespace: str, local: str) -> str:
    """Clark notation, as lxml uses for tags: {namespace}local."""
    return f"{{{namespace}}}{local}"
