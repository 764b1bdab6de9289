"""The engine core: pure Python and networkx; knows schemas, values and events, never torch or any node."""
