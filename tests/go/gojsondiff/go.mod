module sigaudit.test/gojsondiff

go 1.19
