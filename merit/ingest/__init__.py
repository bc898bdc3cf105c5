"""Imports: data packages (zip of CSVs, XLSX workbook, single CSVs) validated by the engine and written
to the facts tables all-or-nothing, in the background, with a report of every bad row."""
