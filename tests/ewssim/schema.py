"""Schema validation of whole SOAP envelopes against Microsoft's EWS schema kit.

Python's standard library has no XML Schema validator, so this module drives the system's
libxml2 through ctypes, the same library and the same hardened parser options the daemon
uses. The kit's ews-envelope-strict.xsd is compiled once per Validator (about 0.1 s) and
reused for every message; compiling per message would make the suite crawl.

Hardening, as for the daemon: documents are parsed with XML_PARSE_NONET, XML_PARSE_NOERROR
and XML_PARSE_NOWARNING only, so no entity is substituted, no DTD or network resource is
loaded. A SOAP 1.1 message must not carry a document type declaration at all (SOAP 1.1,
section 3), so any DOCTYPE -- the vehicle of "billion laughs" -- is reported as an error.

libxml2 prints errors to stderr unless told otherwise; every error channel it has (the
parser's, the schema parser's, the validator's, and the thread's generic and structured
handlers) is routed into Python and returned as strings, so nothing reaches stderr.

The one documented exception (README of the kit, "Known quirk"): in GetStreamingEvents
responses Exchange and Microsoft's EWS Managed API send m:Notification (messages namespace)
where the schema says t:Notification. With allow_streaming_quirk=True (the default) such an
element, and only at that place (GetStreamingEventsResponseMessage/Notifications/
Notification), is validated as if it were t:Notification: its content is still checked
strictly, only its namespace is forgiven.
"""

import ctypes
import ctypes.util
import os
import threading

NS_MESSAGES = "http://schemas.microsoft.com/exchange/services/2006/messages"
NS_TYPES = "http://schemas.microsoft.com/exchange/services/2006/types"

SCHEMA_FILE = "ews-envelope-strict.xsd"

# xmlParserOption values (libxml2 parser.h); nothing else is ever passed.
XML_PARSE_NOERROR = 1 << 5
XML_PARSE_NOWARNING = 1 << 6
XML_PARSE_NONET = 1 << 11
PARSE_OPTIONS = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING

XML_ELEMENT_NODE = 1
XML_ERR_WARNING = 1

# A SOAP message larger than this is refused before libxml2 sees it (xmlReadMemory takes an
# int length; no EWS message the simulator handles comes near this).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class SchemaUnavailable(Exception):
    """The schema kit cannot be used: directory missing, libxml2 missing, or no compile."""


def default_schema_dir(repo_root):
    """$MEETINGD_SCHEMA_DIR if set (ctest sets it), else repo_root/../shared/ews-schema."""
    env = os.environ.get("MEETINGD_SCHEMA_DIR")
    if env:
        return env
    return os.path.normpath(os.path.join(repo_root, "..", "shared", "ews-schema"))


# --- libxml2 structures that are read directly (public, stable since libxml2 2.6) -------------


class _XmlError(ctypes.Structure):
    _fields_ = [
        ("domain", ctypes.c_int),
        ("code", ctypes.c_int),
        ("message", ctypes.c_char_p),
        ("level", ctypes.c_int),
        ("file", ctypes.c_char_p),
        ("line", ctypes.c_int),
        ("str1", ctypes.c_char_p),
        ("str2", ctypes.c_char_p),
        ("str3", ctypes.c_char_p),
        ("int1", ctypes.c_int),
        ("int2", ctypes.c_int),  # column
        ("ctxt", ctypes.c_void_p),
        ("node", ctypes.c_void_p),
    ]


class _XmlNs(ctypes.Structure):
    pass


_XmlNs._fields_ = [
    ("next", ctypes.POINTER(_XmlNs)),
    ("type", ctypes.c_int),
    ("href", ctypes.c_char_p),
    ("prefix", ctypes.c_char_p),
    ("_private", ctypes.c_void_p),
    ("context", ctypes.c_void_p),
]


class _XmlNode(ctypes.Structure):
    pass


_XmlNode._fields_ = [
    ("_private", ctypes.c_void_p),
    ("type", ctypes.c_int),
    ("name", ctypes.c_char_p),
    ("children", ctypes.POINTER(_XmlNode)),
    ("last", ctypes.POINTER(_XmlNode)),
    ("parent", ctypes.POINTER(_XmlNode)),
    ("next", ctypes.POINTER(_XmlNode)),
    ("prev", ctypes.POINTER(_XmlNode)),
    ("doc", ctypes.c_void_p),
    ("ns", ctypes.POINTER(_XmlNs)),
    ("content", ctypes.c_char_p),
    ("properties", ctypes.c_void_p),
    ("nsDef", ctypes.POINTER(_XmlNs)),
    ("psvi", ctypes.c_void_p),
    ("line", ctypes.c_ushort),
    ("extra", ctypes.c_ushort),
]

_NodeP = ctypes.POINTER(_XmlNode)
_NsP = ctypes.POINTER(_XmlNs)
_ErrorP = ctypes.POINTER(_XmlError)

# void (*xmlStructuredErrorFunc)(void *userData, const xmlError *error)
_STRUCTURED_ERROR_FUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, _ErrorP)
# void (*xmlGenericErrorFunc)(void *ctx, const char *msg, ...): the variadic tail is ignored,
# which is safe on every ABI Python supports because the callee never reads it.
_GENERIC_ERROR_FUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)

_lib = None
_lib_lock = threading.Lock()

# libxml2 keeps error handlers per thread and may call them long after the Validator that set
# them is gone, so the callbacks are module-level objects that live as long as the process;
# they deliver into the list the current thread registered (or drop the message).
_sink = threading.local()


def _collect(_user, err):
    try:
        errors = getattr(_sink, "errors", None)
        if errors is None or not err or err.contents.level <= XML_ERR_WARNING:
            return
        errors.append(_format_error(err.contents))
    except Exception:  # an exception must never unwind through C frames
        pass


_ON_ERROR = _STRUCTURED_ERROR_FUNC(_collect)
_ON_GENERIC = _GENERIC_ERROR_FUNC(lambda _ctx, _msg: None)


def _declare(lib, name, restype, argtypes):
    fn = getattr(lib, name)
    fn.restype = restype
    fn.argtypes = argtypes


def _load_libxml2():
    """Load libxml2 once per process and declare every function used; raise SchemaUnavailable."""
    global _lib
    with _lib_lock:
        if _lib is not None:
            return _lib
        path = ctypes.util.find_library("xml2")
        candidates = [path] if path else []
        candidates.append("libxml2.so.2")
        lib = None
        errors = []
        for cand in candidates:
            try:
                lib = ctypes.CDLL(cand)
                break
            except OSError as exc:
                errors.append(str(exc))
        if lib is None:
            raise SchemaUnavailable("libxml2 not found (ctypes.util.find_library('xml2') "
                                    "gave %r; %s)" % (path, "; ".join(errors)))
        vp = ctypes.c_void_p
        try:
            _declare(lib, "xmlInitParser", None, [])
            _declare(lib, "xmlSchemaNewParserCtxt", vp, [ctypes.c_char_p])
            _declare(lib, "xmlSchemaSetParserStructuredErrors", None,
                     [vp, _STRUCTURED_ERROR_FUNC, vp])
            _declare(lib, "xmlSchemaParse", vp, [vp])
            _declare(lib, "xmlSchemaFreeParserCtxt", None, [vp])
            _declare(lib, "xmlSchemaFree", None, [vp])
            _declare(lib, "xmlSchemaNewValidCtxt", vp, [vp])
            _declare(lib, "xmlSchemaFreeValidCtxt", None, [vp])
            _declare(lib, "xmlSchemaSetValidStructuredErrors", None,
                     [vp, _STRUCTURED_ERROR_FUNC, vp])
            _declare(lib, "xmlSchemaValidateDoc", ctypes.c_int, [vp, vp])
            _declare(lib, "xmlSetStructuredErrorFunc", None, [vp, _STRUCTURED_ERROR_FUNC])
            _declare(lib, "xmlSetGenericErrorFunc", None, [vp, _GENERIC_ERROR_FUNC])
            _declare(lib, "xmlResetLastError", None, [])
            _declare(lib, "xmlGetLastError", _ErrorP, [])
            _declare(lib, "xmlReadMemory", vp,
                     [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p,
                      ctypes.c_int])
            _declare(lib, "xmlFreeDoc", None, [vp])
            _declare(lib, "xmlGetIntSubset", vp, [vp])
            _declare(lib, "xmlDocGetRootElement", _NodeP, [vp])
            _declare(lib, "xmlGetLineNo", ctypes.c_long, [_NodeP])
            _declare(lib, "xmlSearchNsByHref", _NsP, [vp, _NodeP, ctypes.c_char_p])
            _declare(lib, "xmlNewNs", _NsP, [_NodeP, ctypes.c_char_p, ctypes.c_char_p])
            _declare(lib, "xmlSetNs", None, [_NodeP, _NsP])
        except AttributeError as exc:
            raise SchemaUnavailable("libxml2 at %r lacks a needed function: %s" % (path, exc))
        lib.xmlInitParser()
        _lib = lib
        return lib


def _decode(raw):
    if raw is None:
        return ""
    return raw.decode("utf-8", "replace")


def _format_error(err):
    msg = _decode(err.message).strip() or "error %d" % err.code
    if err.line > 0:
        return "line %d: %s" % (err.line, msg)
    return msg


def _element_children(node):
    child = node.contents.children
    while child:
        if child.contents.type == XML_ELEMENT_NODE:
            yield child
        child = child.contents.next


def _is(node, ns, name):
    c = node.contents
    return bool(c.ns) and c.ns.contents.href == ns.encode() and c.name == name.encode()


class Validator:
    """A compiled ews-envelope-strict.xsd; validate() may be called from any thread."""

    def __init__(self, schema_dir):
        if not schema_dir or not os.path.isdir(schema_dir):
            raise SchemaUnavailable("schema directory %r does not exist (set "
                                    "MEETINGD_SCHEMA_DIR or provide ../shared/ews-schema)"
                                    % (schema_dir,))
        path = os.path.join(schema_dir, SCHEMA_FILE)
        if not os.path.isfile(path):
            raise SchemaUnavailable("%s not found in %s" % (SCHEMA_FILE, schema_dir))
        self._lib = _load_libxml2()
        self._lock = threading.Lock()
        self._schema = None
        self._vctxt = None
        self.schema_path = path

        lib = self._lib
        errors = []
        with self._lock:
            self._silence_thread(errors)
            try:
                pctxt = lib.xmlSchemaNewParserCtxt(os.fsencode(path))
                if not pctxt:
                    raise SchemaUnavailable("libxml2 could not create a schema parser for %s"
                                            % path)
                try:
                    lib.xmlSchemaSetParserStructuredErrors(pctxt, _ON_ERROR, None)
                    schema = lib.xmlSchemaParse(pctxt)
                finally:
                    lib.xmlSchemaFreeParserCtxt(pctxt)
            finally:
                _sink.errors = None
            if not schema:
                detail = "; ".join(errors[:5]) or "no detail from libxml2"
                raise SchemaUnavailable("%s does not compile: %s" % (path, detail))
            vctxt = lib.xmlSchemaNewValidCtxt(schema)
            if not vctxt:
                lib.xmlSchemaFree(schema)
                raise SchemaUnavailable("libxml2 could not create a validation context")
            lib.xmlSchemaSetValidStructuredErrors(vctxt, _ON_ERROR, None)
            self._schema = schema
            self._vctxt = vctxt

    def close(self):
        """Free the compiled schema; the Validator is unusable afterwards."""
        with self._lock:
            if self._vctxt:
                self._lib.xmlSchemaFreeValidCtxt(self._vctxt)
                self._vctxt = None
            if self._schema:
                self._lib.xmlSchemaFree(self._schema)
                self._schema = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may already be gone
            pass

    def _silence_thread(self, errors):
        # libxml2 keeps these handlers per thread: set them in every thread that calls in.
        _sink.errors = errors
        self._lib.xmlSetGenericErrorFunc(None, _ON_GENERIC)
        self._lib.xmlSetStructuredErrorFunc(None, _ON_ERROR)

    def _apply_streaming_quirk(self, doc, root):
        """Retag m:Notification as t:Notification where Exchange sends it; return the count."""
        lib = self._lib
        fixed = 0
        stack = [root]
        while stack:
            node = stack.pop()
            if _is(node, NS_MESSAGES, "GetStreamingEventsResponseMessage"):
                for notes in _element_children(node):
                    if not _is(notes, NS_MESSAGES, "Notifications"):
                        continue
                    for note in _element_children(notes):
                        if not _is(note, NS_MESSAGES, "Notification"):
                            continue
                        ns = lib.xmlSearchNsByHref(doc, note, NS_TYPES.encode())
                        if not ns:
                            ns = lib.xmlNewNs(note, NS_TYPES.encode(), b"ewssimquirk")
                        if not ns:
                            raise MemoryError("xmlNewNs failed")
                        lib.xmlSetNs(note, ns)
                        fixed += 1
                continue
            stack.extend(_element_children(node))
        return fixed

    def validate(self, data, allow_streaming_quirk=True):
        """Return [] if data (bytes) is a valid EWS SOAP envelope, else error strings.

        Errors read "line N: message". A parse failure, a DOCTYPE, or an over-long message is
        an error like any other; nothing is printed. allow_streaming_quirk: see module doc.
        """
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("validate() needs bytes")
        data = bytes(data)
        if len(data) > MAX_MESSAGE_BYTES:
            return ["message of %d bytes exceeds the %d-byte limit"
                    % (len(data), MAX_MESSAGE_BYTES)]
        if not data.strip():
            return ["not well-formed XML: empty document"]
        with self._lock:
            if not self._vctxt:
                raise SchemaUnavailable("validator is closed")
            errors = []
            self._silence_thread(errors)
            try:
                return self._validate_locked(data, errors, allow_streaming_quirk)
            finally:
                _sink.errors = None

    def _validate_locked(self, data, errors, allow_streaming_quirk):
        lib = self._lib
        lib.xmlResetLastError()
        doc = lib.xmlReadMemory(data, len(data), b"message.xml", None, PARSE_OPTIONS)
        if not doc:
            if not errors:
                last = lib.xmlGetLastError()
                if last:
                    errors.append(_format_error(last.contents))
            return ["not well-formed XML: " + e for e in errors] or ["not well-formed XML"]
        try:
            # Errors reported during a parse that still produced a tree (namespace errors,
            # for instance) make the message invalid too.
            if lib.xmlGetIntSubset(doc):
                return errors + ["document type declaration not allowed in a SOAP message"]
            root = lib.xmlDocGetRootElement(doc)
            if not root:
                return errors + ["document has no root element"]
            if allow_streaming_quirk and b"GetStreamingEventsResponseMessage" in data:
                self._apply_streaming_quirk(doc, root)
            rc = lib.xmlSchemaValidateDoc(self._vctxt, doc)
            if rc != 0 and not errors:
                errors.append("schema validation failed (libxml2 code %d)" % rc)
            return list(errors)
        finally:
            lib.xmlFreeDoc(doc)
