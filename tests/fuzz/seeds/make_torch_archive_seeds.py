#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_torch_archive without torch: a state dict pickled exactly as
torch.save pickles one (an OrderedDict with _metadata, tensors through _rebuild_tensor_v2 and
_rebuild_parameter, storages as persistent ids), in a zip of stored entries as torch.save lays out.
The bytes are committed; this script only documents how they were made (python3 make_torch_archive_seeds.py)."""
import collections, io, pickle, struct, sys, types, zipfile

torch = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch; sys.modules["torch._utils"] = utils

def _rebuild_tensor_v2(*a): pass
def _rebuild_parameter(*a): pass
for f in (_rebuild_tensor_v2, _rebuild_parameter):
    f.__module__ = "torch._utils"; setattr(utils, f.__name__, f)

storage_types = {}
for name in ("FloatStorage", "BFloat16Storage", "LongStorage", "HalfStorage"):
    cls = type(name, (), {}); cls.__module__ = "torch"; setattr(torch, name, cls); storage_types[name] = cls

class Storage:
    def __init__(self, key, type_name, data): self.key, self.type, self.data = key, storage_types[type_name], data
class Tensor:
    def __init__(self, storage, offset, size, stride): self.args = (storage, offset, size, stride)
    def __reduce_ex__(self, proto):
        s, o, size, stride = self.args
        return (_rebuild_tensor_v2, (s, o, size, stride, False, collections.OrderedDict()))
class Parameter:
    def __init__(self, t): self.t = t
    def __reduce_ex__(self, proto): return (_rebuild_parameter, (self.t, True, collections.OrderedDict()))

class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            itemsize = {"FloatStorage": 4, "BFloat16Storage": 2, "LongStorage": 8, "HalfStorage": 2}[obj.type.__name__]
            return ("storage", obj.type, obj.key, "cpu", len(obj.data) // itemsize)
        return None

def archive(state, storages):
    buf = io.BytesIO(); Pickler(buf, protocol=2).dump(state)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        z.writestr("archive/byteorder", "little")
        for s in storages: z.writestr("archive/data/" + s.key, s.data)
        z.writestr("archive/version", "3\n")
    return out.getvalue()

w = Storage("0", "FloatStorage", struct.pack("<6f", *range(6)))
b = Storage("1", "BFloat16Storage", bytes([0x80, 0x3f] * 4))
n = Storage("2", "LongStorage", struct.pack("<10q", *range(10)))
sd = collections.OrderedDict()
sd["blocks.0.weight"] = Parameter(Tensor(w, 0, (3, 2), (1, 3)))
sd["blocks.0.scale"] = Tensor(b, 0, (4,), (1,))
sd["steps"] = Tensor(n, 2, (3,), (2,))
sd._metadata = collections.OrderedDict([("", {"version": 1}), ("blocks", {"version": 1})])
open("torch_archive/state_dict.pth", "wb").write(archive(sd, [w, b, n]))
nested = {"model": collections.OrderedDict([("w", Tensor(w, 1, (2, 2), (2, 1)))]), "epoch": 3, "lr": 0.5}
open("torch_archive/nested.pth", "wb").write(archive(nested, [w]))
