"""Checks JSON bodies against Microsoft Graph's CSDL (v1.0-metadata.xml, read at start).

Property names must exist on the type or its BaseType chain (or on the derived type an
"@odata.type" annotation names; open types other than Outlook items also take dynamic ones), values must have the JSON type the Edm type implies, and enum
values must be members. Instance annotations ("@odata.*", "name@odata.*", "@removed") pass.
Action bodies are checked against the bound action's parameters (names compared
case-insensitively, as Graph does).
"""

import re
import xml.etree.ElementTree as ET

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?$")


class SchemaError(Exception):
    pass


class Schema:
    def __init__(self, path):
        root = ET.parse(path).getroot()
        self.types = {}      # name -> (base name or None, {prop: (type, nullable)})
        self.open_types = set()   # OpenType="true": undeclared (dynamic) properties allowed
        self.enums = {}      # name -> (set of members, is_flags)
        self.actions = {}    # (name, binding type) -> {lower param: type}
        for schema in root.iter(EDM + "Schema"):
            if schema.get("Namespace") != "microsoft.graph":
                continue
            for el in schema:
                tag = el.tag[len(EDM):]
                if tag in ("EntityType", "ComplexType"):
                    props = {}
                    for p in el:
                        if p.tag in (EDM + "Property", EDM + "NavigationProperty"):
                            props[p.get("Name")] = (p.get("Type"), p.get("Nullable") != "false")
                    if el.get("OpenType") == "true":
                        self.open_types.add(el.get("Name"))
                    base = el.get("BaseType")
                    self.types[el.get("Name")] = (base.split(".")[-1] if base else None, props)
                elif tag == "EnumType":
                    members = {m.get("Name") for m in el if m.tag == EDM + "Member"}
                    self.enums[el.get("Name")] = (members, el.get("IsFlags") == "true")
                elif tag == "Action" and el.get("IsBound") == "true":
                    params = [p for p in el if p.tag == EDM + "Parameter"]
                    binding = params[0].get("Type").split(".")[-1]
                    self.actions[(el.get("Name"), binding)] = {
                        p.get("Name").lower(): p.get("Type") for p in params[1:]}
        if "event" not in self.types or "eventMessageRequest" not in self.types:
            raise SchemaError("%s: no microsoft.graph event types" % path)

    def is_derived(self, name, ancestor):
        while name:
            if name == ancestor:
                return True
            name = self.types.get(name, (None, None))[0]
        return False

    def is_dynamic(self, type_name):
        """Open types take undeclared properties, except Outlook items (event, message and
        the types derived from them): there every property meetingd or the simulator writes
        must be a declared one, which is the point of checking them."""
        return type_name in self.open_types and not self.is_derived(type_name, "outlookItem")

    def prop(self, type_name, name):
        while type_name:
            base, props = self.types[type_name]
            if name in props:
                return props[name]
            type_name = base
        return None

    def check(self, value, type_name, where="$"):
        """Raise SchemaError if value (parsed JSON) is not a valid graph.<type_name>."""
        if not isinstance(value, dict):
            raise SchemaError("%s: expected an object (%s)" % (where, type_name))
        declared = value.get("@odata.type")
        if declared is not None:
            derived = declared.lstrip("#").split(".")[-1]
            if derived not in self.types or not self.is_derived(derived, type_name):
                raise SchemaError("%s: @odata.type %s is not a %s" % (where, declared, type_name))
            type_name = derived
        for key, item in value.items():
            if key.startswith("@") or "@" in key:
                continue
            found = self.prop(type_name, key)
            if found is None and self.is_dynamic(type_name):
                continue
            if found is None:
                raise SchemaError("%s: %s has no property %s" % (where, type_name, key))
            self.check_value(item, found[0], found[1], "%s.%s" % (where, key))

    def check_value(self, item, edm, nullable, where):
        if item is None:
            if not nullable:
                raise SchemaError("%s: null for a non-nullable %s" % (where, edm))
            return
        if edm.startswith("Collection("):
            if not isinstance(item, list):
                raise SchemaError("%s: expected an array of %s" % (where, edm[11:-1]))
            for i, element in enumerate(item):
                self.check_value(element, edm[11:-1], False, "%s[%d]" % (where, i))
            return
        if edm.startswith("Edm."):
            self.check_primitive(item, edm, where)
            return
        name = edm.split(".")[-1]
        if name in self.enums:
            members, flags = self.enums[name]
            values = item.split(",") if flags and isinstance(item, str) else [item]
            for v in values:
                if not isinstance(v, str) or v.strip() not in members:
                    raise SchemaError("%s: %r is not a member of %s" % (where, item, name))
            return
        if name not in self.types:
            raise SchemaError("%s: unknown type %s" % (where, edm))
        self.check(item, name, where)

    @staticmethod
    def check_primitive(item, edm, where):
        ok = True
        if edm in ("Edm.String", "Edm.Guid", "Edm.Binary", "Edm.Duration"):
            ok = isinstance(item, str)
        elif edm == "Edm.Boolean":
            ok = isinstance(item, bool)
        elif edm in ("Edm.Int32", "Edm.Int64", "Edm.Int16", "Edm.Byte"):
            ok = isinstance(item, int) and not isinstance(item, bool)
        elif edm in ("Edm.Double", "Edm.Single", "Edm.Decimal"):
            ok = isinstance(item, (int, float)) and not isinstance(item, bool)
        elif edm == "Edm.DateTimeOffset":
            ok = isinstance(item, str) and DATETIME_RE.match(item) is not None
        elif edm == "Edm.Date":
            ok = isinstance(item, str) and DATE_RE.match(item) is not None
        elif edm == "Edm.TimeOfDay":
            ok = isinstance(item, str) and TIME_RE.match(item) is not None
        if not ok:
            raise SchemaError("%s: %r is not an %s" % (where, item, edm))

    def check_action(self, body, action, binding):
        """Raise SchemaError if body is not a valid parameter object for graph.<binding>/action."""
        params = self.actions.get((action, binding))
        if params is None:
            raise SchemaError("no action %s bound to %s" % (action, binding))
        if not isinstance(body, dict):
            raise SchemaError("$: the body of %s must be an object" % action)
        for key, item in body.items():
            edm = params.get(key.lower())
            if edm is None:
                raise SchemaError("$: action %s has no parameter %s" % (action, key))
            self.check_value(item, edm, True, "$." + key)

    def check_collection(self, body, type_name):
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise SchemaError("$: a collection needs a value array")
        for key in body:
            if key != "value" and not key.startswith("@"):
                raise SchemaError("$: unexpected %s beside value" % key)
        for i, item in enumerate(body["value"]):
            if isinstance(item, dict) and "@removed" in item:
                if set(item) - {"@removed", "id", "@odata.type"}:
                    raise SchemaError("$.value[%d]: a removed entry carries only its id" % i)
                continue
            self.check(item, type_name, "$.value[%d]" % i)
