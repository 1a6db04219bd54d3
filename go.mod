module mapreduce

go 1.26
