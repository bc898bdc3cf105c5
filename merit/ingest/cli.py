"""`merit import PATH`: import a data package into the application's database from the shell."""


def add_parser(sub) -> None:
    p = sub.add_parser("import", help="import a data package into the application's database")
    p.add_argument("path", help="a zip of CSVs, an XLSX workbook, a CSV file or a package folder")
    p.set_defaults(func=lambda args: 1)
