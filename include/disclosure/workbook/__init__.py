"""Unit return workbooks: the fill-in template (writer), the label-anchored reader, and sample returns."""
