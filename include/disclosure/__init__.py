"""Domain package for the annual government information disclosure report (政府信息公开工作年度报告).

No Airflow imports here: DAGs, tests and the CLI all call into this package.
"""

__version__ = "0.1.0"
