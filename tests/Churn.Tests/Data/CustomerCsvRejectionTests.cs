using Churn.Numerics.Data;

namespace Churn.Tests.Data;

/// <summary>Every rejection names the file as given, the physical line, the schema column and a reason.</summary>
public class CustomerCsvRejectionTests
{
    private const string Good1 = "1,1620,1620,19.73,19.73,1,10,0.99,1603.8,5,92,1";
    private const string Good2 = "2,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0";

    [Theory]
    // field counts
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,0\n", 2, "target", "11 fields where 12")]
    [InlineData(Good1 + "\n" + Good2 + "\n3,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0,7\n", 3, "target", "13 fields")]
    [InlineData(Good1 + "\n2,2160,2160,5.33\n", 2, "price_total", "4 fields")]
    [InlineData(Good1 + "\n" + Good2 + ",\n", 2, "target", "ends with a comma")]
    [InlineData("1;1620;1620;19,73;19,73;1;10;0,99;1603,8;5;92;1\n", 1, "review", "';'")]
    // non-numeric, NaN, infinity, empty
    [InlineData(Good1 + "\n2,2160,2160,abc,5.33,0,8.91,0,0,0,0,0\n", 2, "price_avg", "expected a number, got 'abc'")]
    [InlineData(Good1 + "\n2,,2160,5.33,5.33,0,8.91,0,0,0,0,0\n", 2, "book_length_avg_min", "empty field")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,NaN,0,0,0,0\n", 2, "completion", "NaN")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,Infinity,0,0,0\n", 2, "minutes_listened", "finite")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,-Infinity,0\n", 2, "last_visit_days", "finite")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,0,1e999,0,0\n", 2, "support_requests", "finite")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,0,yes\n", 2, "target", "expected a number")]
    // flags and ranges
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,0,2\n", 2, "target", "0 or 1")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0.5\n", 2, "target", "0 or 1")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,2,8.91,0,0,0,0,0\n", 2, "review", "review flag must be 0 or 1")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,1.5,0,0,0,0\n", 2, "completion", "between 0 and 1")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,-0.1,0,0,0,0\n", 2, "completion", "between 0 and 1")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,11,0,0,0,0,0\n", 2, "review_score", "between 0 and 10")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,-1,0,0,0,0,0\n", 2, "review_score", "between 0 and 10")]
    [InlineData(Good1 + "\n2,-2160,2160,5.33,5.33,0,8.91,0,0,0,0,0\n", 2, "book_length_avg_min", "negative")]
    [InlineData(Good1 + "\n2,2160,-1,5.33,5.33,0,8.91,0,0,0,0,0\n", 2, "book_length_total_min", "negative")]
    [InlineData(Good1 + "\n2,2160,2160,-5.33,5.33,0,8.91,0,0,0,0,0\n", 2, "price_avg", "negative")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,-0.01,0,8.91,0,0,0,0,0\n", 2, "price_total", "negative")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,-3,0,0,0\n", 2, "minutes_listened", "negative")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,0,-1,0,0\n", 2, "support_requests", "negative")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,-4,0\n", 2, "last_visit_days", "negative")]
    // customer IDs
    [InlineData(Good1 + "\n2.5,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0\n", 2, "customer_id", "whole number")]
    [InlineData(Good1 + "\nx7,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0\n", 2, "customer_id", "expected a number")]
    [InlineData(Good1 + "\n" + Good2 + "\n1,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0\n", 3, "customer_id", "duplicate customer ID 1: already on line 1")]
    // line counting: header, CRLF, blank lines, quoted fields
    [InlineData("id,a,b,c,d,e,f,g,h,i,j,t\r\n" + Good1 + "\r\n" + Good2 + "\r\n3,1,1,1,1,1,1,7,1,1,1,1\r\n", 4, "completion", "between 0 and 1")]
    [InlineData("id,a,b,c,d,e,f,g,h,i,j,t\n" + Good1 + "\n" + Good2 + "\n2,1,1,1,1,1,1,1,1,1,1,1\n", 4, "customer_id", "already on line 3")]
    [InlineData(Good1 + "\n\n" + Good2 + "\n", 2, null, "blank line inside the data")]
    [InlineData(Good1 + "\n   \n\n" + Good2 + "\n", 2, null, "blank line inside the data")]
    [InlineData("\n" + Good1 + "\n" + Good2 + "\n", 1, null, "blank line before the data")]
    [InlineData(Good1 + "\n2,\"2160\n\",2160,5.33,5.33,0,8.91,0,0,0,0,0\n", 2, "book_length_avg_min", "line break")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,\"0\"x\",0,0,0\n", 2, "minutes_listened", "after a closing quote")]
    [InlineData(Good1 + "\n2,2160,2160,5.33,5.33,0,8.91,0,\"0,0,0,0\n", 2, "minutes_listened", "without a closing quote")]
    [InlineData(Good1 + "\nid,a,b,c,d,e,f,g,h,i,j,t\n", 2, "customer_id", "expected a number")]
    // not the customer CSV at all
    [InlineData("Dear customer,\nthank you for your order.\n", 1, "book_length_total_min", "looks like a header but has 2 fields")]
    [InlineData("just some text\n", 1, "book_length_avg_min", "1 field where 12")]
    [InlineData("a,b,c,d,e,f,g,h,i,j,k\n" + Good1 + "\n", 1, "target", "looks like a header but has 11 fields")]
    public void Loader_rejects_bad_rows_with_line_and_column(string text, long line, string? column, string reason)
    {
        var path = TestFiles.Csv(text);
        var problem = Rows.Rejection(path);
        Assert.Equal(path, problem.File);
        Assert.Equal(line, problem.Line);
        Assert.Equal(column, problem.Column);
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Loader_rejects_nan_with_line_and_column()
    {
        var path = TestFiles.Csv(Rows.FourRows + "5,2160,2160,5.33,5.33,0,nan,0,0,0,0,0\n");
        var problem = Rows.Rejection(path);
        Assert.Equal((path, 5L, "review_score"), (problem.File, problem.Line, problem.Column));
        Assert.Equal($"{path}:5: column 'review_score': expected a finite number, got 'nan' (NaN and infinities are not allowed)", problem.ToString());
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("\uFEFF", "the file is empty")]
    [InlineData("\n\r\n\n", "only blank lines")]
    [InlineData("id,a,b,c,d,e,f,g,h,i,j,t\r\n", "header but no data rows")]
    [InlineData("id,a,b,c,d,e,f,g,h,i,j,t\n\n\n", "header but no data rows")]
    public void Loader_rejects_files_without_data_rows(string text, string reason)
    {
        var path = TestFiles.Csv(text);
        var problem = Rows.Rejection(path);
        Assert.Equal((path, (long?)null, (string?)null), (problem.File, problem.Line, problem.Column));
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0\n", "no buyers")]
    [InlineData("1,2160,2160,5.33,5.33,0,8.91,0,0,0,0,1\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,0,1\n", "no non-buyers")]
    public void Loader_rejects_a_class_without_rows_when_targets_are_required(string text, string reason)
    {
        var path = TestFiles.Csv(text);
        var problem = Rows.Rejection(path);
        Assert.Equal((path, (long?)null, "target"), (problem.File, problem.Line, problem.Column));
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
        Assert.True(CustomerCsv.Load(path, TargetPolicy.Optional).IsOk);
    }

    [Fact]
    public void Loader_rejects_a_missing_file_without_throwing()
    {
        var path = Path.Combine(TestFiles.NewDirectory(), "nope.csv");
        var problem = Rows.Rejection(path);
        Assert.Equal(path, problem.File);
        Assert.Equal("file not found", problem.Reason);
    }

    [Fact]
    public void Loader_rejects_a_directory_without_throwing()
    {
        var directory = TestFiles.NewDirectory();
        Assert.Contains("directory", Rows.Rejection(directory).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Loader_rejects_a_binary_file()
    {
        var bytes = new byte[200_000];
        new Random(3).NextBytes(bytes);
        var problem = Rows.Rejection(TestFiles.Bytes(bytes, "photo.jpg"));
        Assert.Equal(1, problem.Line);
    }

    [Fact]
    public void Loader_rejects_a_single_huge_line_as_not_a_customer_file()
    {
        var problem = Rows.Rejection(TestFiles.Csv(Rows.Buyer(1) + "\n" + new string('7', 100_000) + "\n"));
        Assert.Equal(2, problem.Line);
        Assert.Contains("does not look like the customer CSV", problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Loader_rejects_a_missing_target_column_when_required()
    {
        var path = TestFiles.Csv("1,1620,1620,19.73,19.73,1,10,0.99,1603.8,5,92\n");
        var problem = Rows.Rejection(path);
        Assert.Equal((1L, "target"), (problem.Line, problem.Column));
        Assert.Contains("11 fields where 12", problem.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1,1620,1620,19.73,19.73,1,10,0.99,1603.8,5,92\n2,2160,2160,5.33,5.33,0,8.91,0,0,0,0,0\n", 2, "target", "12 fields where 11")]
    [InlineData("1,1620,1620,19.73,19.73,1,10,0.99,1603.8,5,92,3\n", 1, "target", "0 or 1")]
    [InlineData("1,1620,1620,19.73,19.73,1,10,0.99,1603.8,5\n", 1, "last_visit_days", "10 fields where 11 or 12")]
    public void Loader_with_optional_target_still_validates_rows(string text, long line, string column, string reason)
    {
        var problem = Rows.Rejection(TestFiles.Csv(text), TargetPolicy.Optional);
        Assert.Equal((line, column), (problem.Line, problem.Column));
        Assert.Contains(reason, problem.Reason, StringComparison.Ordinal);
    }
}
