module {{ cookiecutter.module_path }}

go {{ cookiecutter.go_version }}.0
