# Test cases for gates/rules/xml.yml (semgrep --test format).
import xml.dom.minidom
import xml.etree.ElementTree as ET
import xml.sax

import defusedxml.ElementTree
from lxml import etree


def parse(text, path, handler):
    # ruleid: gates.python.xml-stdlib-parser
    ET.fromstring(text)
    # ruleid: gates.python.xml-stdlib-parser
    xml.dom.minidom.parseString(text)
    # ok: gates.python.xml-stdlib-parser
    defusedxml.ElementTree.fromstring(text)
    # ruleid: gates.python.xml-sax-external-entities
    parser = xml.sax.make_parser()
    # ruleid: gates.python.xml-sax-external-entities
    parser.setFeature(xml.sax.handler.feature_external_ges, True)
    # ok: gates.python.xml-sax-external-entities
    parser.setFeature(xml.sax.handler.feature_namespaces, True)
    # ruleid: gates.python.lxml-external-entities
    unsafe = etree.XMLParser(resolve_entities=True)
    # ok: gates.python.lxml-external-entities
    safe = etree.XMLParser(resolve_entities=False, no_network=True)
    # ruleid: gates.python.lxml-external-entities
    etree.fromstring(text)
    # ok: gates.python.lxml-external-entities
    etree.fromstring(text, safe)
    return unsafe
